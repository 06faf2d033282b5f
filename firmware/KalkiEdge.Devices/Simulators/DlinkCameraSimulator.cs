using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Text;
using KalkiEdge.Devices.Camera;
using KalkiEdge.Devices.Http;

namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// A D-Link DCS camera: its status page (<c>/common/info.cgi</c>) and <c>/reboot.cgi</c> behind HTTP basic auth, and
/// on motion the e-mail a camera sends (a real SMTP client, <see cref="SmtpClient"/>) or its HTTP event.
/// </summary>
public sealed class DlinkCameraSimulator : IDisposable
{
    private readonly SmallHttpServer _server;
    private readonly string _authorization;
    private readonly long _bootedAt = Environment.TickCount64;
    private int _reboots;

    public DlinkCameraSimulator(string user, string password, IPAddress? address = null, int port = 0)
    {
        _authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        _server = new SmallHttpServer(Handle, address, port);
    }

    public int Port => _server.Port;

    public string Firmware { get; set; } = "1.09.02";

    /// <summary>Times <c>/reboot.cgi</c> was asked.</summary>
    public int Reboots => Volatile.Read(ref _reboots);

    /// <summary>Set to answer every request with this instead (hostile-device tests).</summary>
    public Func<SmallRequest, SmallResponse?>? Override { get; set; }

    /// <summary>Sends the motion e-mail a camera sends, through SMTP to <paramref name="smtp"/>.</summary>
    public static async Task SendMotionMailAsync(IPEndPoint smtp, CancellationToken token)
    {
        using var client = new SmtpClient(smtp.Address.ToString(), smtp.Port) { DeliveryMethod = SmtpDeliveryMethod.Network, Timeout = 10_000 };
        using var message = new MailMessage("camera@dcs.invalid", "alerts@kalki-edge.invalid", "Motion detected", "Motion was detected at " + DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture));
        await client.SendMailAsync(message, token).ConfigureAwait(false);
    }

    /// <summary>Sends the HTTP event a camera sends on motion; returns the status the appliance answered.</summary>
    public static async Task<HttpStatusCode> PushHttpEventAsync(Uri eventUrl, CancellationToken token)
    {
        using var http = new HttpClient();
        using var answer = await http.GetAsync(eventUrl, token).ConfigureAwait(false);
        return answer.StatusCode;
    }

    public void Dispose() => _server.Dispose();

    private SmallResponse Handle(SmallRequest request)
    {
        if (Override?.Invoke(request) is { } hostile)
        {
            return hostile;
        }

        if (!request.Headers.TryGetValue("Authorization", out var auth) || auth != _authorization)
        {
            return new SmallResponse(401, "Unauthorized", "text/plain");
        }

        switch (request.Method, request.Path)
        {
            case ("GET", DlinkCameraMonitor.InfoPath):
                var uptime = (Environment.TickCount64 - _bootedAt) / 1000;
                return new SmallResponse(200, string.Create(CultureInfo.InvariantCulture,
                    $"model=DCS-930L\nbrand=D-Link\nversion={Firmware}\nbuild=0\nhw_version=A\nuptime={uptime}\n"), "text/plain");
            case ("GET", DlinkCameraMonitor.RebootPath):
                Interlocked.Increment(ref _reboots);
                return new SmallResponse(200, "Reboot ok", "text/plain");
            default:
                return new SmallResponse(404, "Not Found", "text/plain");
        }
    }
}
