using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.Devices.Camera;

/// <summary>
/// D-Link DCS IP camera. Motion is pushed by the camera: the e-mail it sends on motion (to the appliance's SMTP
/// receiver) or its HTTP event (<c>GET/POST /event</c> on the appliance), each a <c>motion</c> reading of true; the
/// status poll (<c>GET /common/info.cgi</c>, the camera's <c>key=value</c> page, HTTP basic auth with the device's
/// credentials) gives <c>firmware</c> (<c>version</c>) and <c>uptime-s</c> (<c>uptime</c>), and <c>motion</c> false
/// when no event came since the poll before. <c>reboot</c> is <c>GET /reboot.cgi</c>.
/// </summary>
public sealed class DlinkCameraMonitor(MonitorTarget target) : DeviceMonitor(target)
{
    public const string Family = "dlink-camera";
    public const string InfoPath = "/common/info.cgi";
    public const string RebootPath = "/reboot.cgi";

    private const int MaxInfoLines = 256;
    private int _motionSincePoll;

    public override IReadOnlyList<SensorOutput> Produces { get; } =
        [new("motion", ValueKind.Bool), new("firmware", ValueKind.String), new("uptime-s", ValueKind.Int)];

    public override IReadOnlyList<string> Commands { get; } = ["reboot"];

    public override bool AcceptsEvents => true;

    public static DeviceMonitor? Compile(ElementArgs args, MonitorTarget target)
    {
        if (string.IsNullOrEmpty(target.User) || target.Password is null)
        {
            args.Error(args.At, $"device '{target.Device}': the camera's pages need its login: give the device 'credentials: {{user: NAME, password: SECRET}}'");
            return null;
        }

        return new DlinkCameraMonitor(target);
    }

    public override IReadOnlyList<Reading> OnEvent(string what)
    {
        Interlocked.Exchange(ref _motionSincePoll, 1);
        return [new("motion", EvValue.Of(true))];
    }

    public override async Task<IReadOnlyList<Reading>> PollAsync(DeviceHttp http, CancellationToken token)
    {
        using var request = Authorized(HttpMethod.Get, InfoPath);
        var answer = await http.SendAsync(request, token).ConfigureAwait(false);
        if (answer.Status is < 200 or > 299)
        {
            throw new DeviceProtocolException($"GET {InfoPath}: HTTP {answer.Status}");
        }

        var info = ParseInfo(answer.Body);
        var firmware = info.TryGetValue("version", out var v) && v.Length is > 0 and <= 64 ? v
            : throw new DeviceProtocolException($"GET {InfoPath}: no 'version=' line of at most 64 characters");
        var uptime = info.TryGetValue("uptime", out var u) && long.TryParse(u, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds
            : throw new DeviceProtocolException($"GET {InfoPath}: no 'uptime=' line with a whole number of seconds");
        var readings = new List<Reading> { new("firmware", EvValue.Of(firmware)), new("uptime-s", EvValue.Of(uptime)) };
        if (Interlocked.Exchange(ref _motionSincePoll, 0) == 0)
        {
            readings.Add(new("motion", EvValue.Of(false)));
        }

        return readings;
    }

    public override async Task SendAsync(DeviceHttp http, string command, CancellationToken token)
    {
        if (command != "reboot")
        {
            throw Unsupported(Family, command);
        }

        using var request = Authorized(HttpMethod.Get, RebootPath);
        var answer = await http.SendAsync(request, token).ConfigureAwait(false);
        if (answer.Status is < 200 or > 299)
        {
            throw new DeviceProtocolException($"GET {RebootPath}: HTTP {answer.Status}");
        }
    }

    /// <summary>The camera's <c>key=value</c> lines (at most 256; a line without '=' is an error saying which).</summary>
    public static Dictionary<string, string> ParseInfo(string body)
    {
        var info = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = body.Split('\n');
        if (lines.Length > MaxInfoLines)
        {
            throw new DeviceProtocolException($"GET {InfoPath}: more than {MaxInfoLines} lines");
        }

        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new DeviceProtocolException($"GET {InfoPath}: line {i + 1} is not key=value: '{Printable.Escape(line.Length <= 60 ? line : line[..60] + "…")}'");
            }

            info.TryAdd(line[..eq].Trim(), line[(eq + 1)..].Trim());
        }

        return info;
    }

    private HttpRequestMessage Authorized(HttpMethod method, string path)
    {
        var request = DeviceHttp.Request(method, Target.Url(path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Target.User}:{Target.Password}")));
        return request;
    }
}
