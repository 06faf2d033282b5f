using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.Devices.HttpJson;

/// <summary>
/// A Udoo Neo–class board or any device with a JSON status page: <c>GET path</c>, then each mapped field becomes the
/// reading of the pack sensor it is mapped to (<see cref="JsonFields"/>). Commands, when mapped, are <c>POST</c>s to
/// their paths.
/// </summary>
public sealed class HttpJsonMonitor : DeviceMonitor
{
    public const string Family = "http-json";

    private readonly string _path;
    private readonly JsonFields _fields;
    private readonly IReadOnlyDictionary<string, string> _commands;

    private HttpJsonMonitor(MonitorTarget target, string path, JsonFields fields, IReadOnlyDictionary<string, string> commands)
        : base(target)
    {
        _path = path;
        _fields = fields;
        _commands = commands;
        Produces = fields.Produces;
        Commands = [.. commands.Keys];
    }

    public override IReadOnlyList<SensorOutput> Produces { get; }

    public override IReadOnlyList<string> Commands { get; }

    public static DeviceMonitor? Compile(ElementArgs args, MonitorTarget target)
    {
        var path = PathArg(args, args.Node("path", "URL path", "/status"), "/status");
        var fields = JsonFields.Compile(args, target);
        var commands = new Dictionary<string, string>(StringComparer.Ordinal);
        if (args.Node("commands", "map: command -> URL path (POST)") is { } commandsNode && args.Map(commandsNode, "commands") is { } cmap)
        {
            foreach (var (key, value) in commandsNode.Entries)
            {
                commands[key.Text] = PathArg(cmap, cmap.Node(key.Text), "/");
            }
        }

        return fields is null ? null : new HttpJsonMonitor(target, path, fields, commands);
    }

    public override async Task<IReadOnlyList<Reading>> PollAsync(DeviceHttp http, CancellationToken token)
    {
        using var request = DeviceHttp.Request(HttpMethod.Get, Target.Url(_path));
        using var doc = JsonAnswer.Parse(await http.SendAsync(request, token).ConfigureAwait(false), $"GET {_path}");
        return _fields.Read(doc.RootElement);
    }

    public override async Task SendAsync(DeviceHttp http, string command, CancellationToken token)
    {
        if (!_commands.TryGetValue(command, out var path))
        {
            throw Unsupported(Family, command);
        }

        using var request = DeviceHttp.Request(HttpMethod.Post, Target.Url(path), "{}");
        var answer = await http.SendAsync(request, token).ConfigureAwait(false);
        if (answer.Status is < 200 or > 299)
        {
            throw new DeviceProtocolException($"POST {path}: HTTP {answer.Status}");
        }
    }

    private static string PathArg(ElementArgs args, ArgNode? node, string fallback)
    {
        var text = node is null ? fallback : args.ScalarText(node) ?? fallback;
        if (!text.StartsWith('/') || text.Length > 1024 || text.Any(c => c <= ' ' || c == '#' || c > '~'))
        {
            args.Error(node?.At ?? args.At, $"'{Printable.Escape(text)}' is not a URL path (starts with '/', printable ASCII, no spaces)");
        }

        return text;
    }
}
