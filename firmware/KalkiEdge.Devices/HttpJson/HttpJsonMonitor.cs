using System.Globalization;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.Devices.HttpJson;

/// <summary>
/// A Udoo Neo–class board or any device with a JSON status page: <c>GET path</c>, then each mapped field (a dotted
/// path into the JSON: <c>cpu.temp</c>, <c>disks.0.free</c>) becomes the reading of the pack sensor it is mapped to,
/// converted to that sensor's kind (bool, int, decimal, string; a number where a bool is declared is an error, never
/// a guess). Commands, when mapped, are <c>POST</c>s to their paths.
/// </summary>
public sealed class HttpJsonMonitor : DeviceMonitor
{
    public const string Family = "http-json";

    private readonly string _path;
    private readonly IReadOnlyList<(SensorDef Sensor, string[] Field)> _fields;
    private readonly IReadOnlyDictionary<string, string> _commands;

    private HttpJsonMonitor(MonitorTarget target, string path, IReadOnlyList<(SensorDef, string[])> fields, IReadOnlyDictionary<string, string> commands)
        : base(target)
    {
        _path = path;
        _fields = fields;
        _commands = commands;
        Produces = [.. fields.Select(f => new SensorOutput(f.Item1.Name, f.Item1.Kind))];
        Commands = [.. commands.Keys];
    }

    public override IReadOnlyList<SensorOutput> Produces { get; }

    public override IReadOnlyList<string> Commands { get; }

    public static DeviceMonitor? Compile(ElementArgs args, MonitorTarget target)
    {
        var path = PathArg(args, args.Node("path", "URL path", "/status"), "/status");
        var fields = new List<(SensorDef, string[])>();
        var fieldsNode = args.Required("fields", "map: sensor -> JSON field");
        if (fieldsNode is not null && args.Map(fieldsNode, "fields") is { } map)
        {
            foreach (var (key, value) in fieldsNode.Entries)
            {
                map.Node(key.Text);
                var sensor = target.Sensors.FirstOrDefault(s => s.Name == key.Text);
                if (sensor is null)
                {
                    var suggestion = Spelling.Closest(key.Text, target.Sensors.Select(s => s.Name));
                    args.Error(key.At, $"'{Printable.Escape(key.Text)}' is not a sensor of the device's pack (sensors: {string.Join(", ", target.Sensors.Select(s => s.Name))})", suggestion is null ? null : $"did you mean '{suggestion}'?");
                }
                else if (map.ScalarText(value) is { Length: > 0 and <= 256 } field)
                {
                    fields.Add((sensor, field.Split('.')));
                }
                else
                {
                    args.Error(value.At, $"field of '{key.Text}' must be a dotted JSON path of at most 256 characters");
                }
            }

            if (fieldsNode.Entries.Count == 0)
            {
                args.Error(fieldsNode.At, "'fields' maps at least one sensor to a JSON field");
            }
        }

        var commands = new Dictionary<string, string>(StringComparer.Ordinal);
        if (args.Node("commands", "map: command -> URL path (POST)") is { } commandsNode && args.Map(commandsNode, "commands") is { } cmap)
        {
            foreach (var (key, value) in commandsNode.Entries)
            {
                commands[key.Text] = PathArg(cmap, cmap.Node(key.Text), "/");
            }
        }

        return fields.Count == 0 ? null : new HttpJsonMonitor(target, path, fields, commands);
    }

    public override async Task<IReadOnlyList<Reading>> PollAsync(DeviceHttp http, CancellationToken token)
    {
        using var request = DeviceHttp.Request(HttpMethod.Get, Target.Url(_path));
        using var doc = JsonAnswer.Parse(await http.SendAsync(request, token).ConfigureAwait(false), $"GET {_path}");
        var readings = new List<Reading>(_fields.Count);
        foreach (var (sensor, field) in _fields)
        {
            readings.Add(new Reading(sensor.Name, Convert(Find(doc.RootElement, field, sensor.Name), sensor)));
        }

        return readings;
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

    private static JsonElement Find(JsonElement root, string[] field, string sensor)
    {
        var at = root;
        foreach (var step in field)
        {
            if (at.ValueKind == JsonValueKind.Object && at.TryGetProperty(step, out var next))
            {
                at = next;
            }
            else if (at.ValueKind == JsonValueKind.Array && int.TryParse(step, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < at.GetArrayLength())
            {
                at = at[i];
            }
            else
            {
                throw new DeviceProtocolException($"{sensor}: the answer has no field '{Printable.Escape(string.Join('.', field))}'");
            }
        }

        return at;
    }

    private static EvValue Convert(JsonElement value, SensorDef sensor)
    {
        var ok = (sensor.Kind, value.ValueKind) switch
        {
            (ValueKind.Bool, JsonValueKind.True or JsonValueKind.False) => EvValue.Of(value.GetBoolean()),
            (ValueKind.Int, JsonValueKind.Number) when value.TryGetInt64(out var i) => EvValue.Of(i),
            (ValueKind.Decimal, JsonValueKind.Number) when value.TryGetDecimal(out var d) => EvValue.Of(d),
            (ValueKind.String, JsonValueKind.String) when value.GetString() is { Length: <= 1024 } s => EvValue.Of(s),
            _ => (EvValue?)null,
        };
        return ok ?? throw new DeviceProtocolException($"{sensor.Name}: {Describe(value)} is not a {MonitorCompilation.Kind(sensor.Kind)}");
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string '{Printable.Escape(value.GetString()!.Length > 40 ? value.GetString()![..40] + "…" : value.GetString()!)}'",
        JsonValueKind.Number => $"the number {Printable.Escape(value.GetRawText().Length > 40 ? value.GetRawText()[..40] : value.GetRawText())}",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };
}
