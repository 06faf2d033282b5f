using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Camera;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.Devices.Simulators;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// The D-Link camera family against its simulator: motion pushed by real SMTP clients (System.Net.Mail, Python's
/// smtplib) and HTTP, its status page polled, reboot sent; and hostile SMTP sessions cut off with the limit they broke.
/// </summary>
public sealed class CameraMonitorTests
{
    private const string CameraPack = """
        type: dlink-camera
        sampling: 60s
        sensors: {motion: bool, firmware: string, uptime-s: int}
        commands: [reboot]
        chains: {Normal: open, Suspicious: watched, Attack: closed}
        rules:
          - {name: silent, from: Normal, to: Suspicious, priority: 5, window: 1min, when: {alert: device-unavailable}}
        """;

    private static readonly SmtpLimits Tight = new() { MaxMessageBytes = 64 * 1024, MaxRecipients = 3, SessionTime = TimeSpan.FromSeconds(2), MaxSessions = 4 };

    [Test]
    public void A_motion_email_from_the_camera_is_a_motion_reading_and_the_status_poll_reads_firmware_and_uptime()
    {
        using var camera = new DlinkCameraSimulator("admin", "cam-secret-9f2");
        using var h = Started(camera, out _);

        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("cam", "firmware") is not null), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(h.Controller.Latest("cam", "motion"), Is.EqualTo(EvValue.Of(false)), "no event since the poll before");
        DlinkCameraSimulator.SendMotionMailAsync(h.Monitors.CameraReceivers!.Smtp!.EndPoint, CancellationToken.None).Wait(TimeSpan.FromSeconds(15));

        Assert.That(MonitorHarness.Eventually(() => Equals(h.Controller.Latest("cam", "motion"), EvValue.Of(true))), Is.True, string.Join("\n", h.LogLines()));
        Assert.Multiple(() =>
        {
            Assert.That(h.Controller.Latest("cam", "firmware"), Is.EqualTo(EvValue.Of("1.09.02")));
            Assert.That(h.Controller.Latest("cam", "uptime-s")?.Kind, Is.EqualTo(ValueKind.Int));
        });
    }

    [Test]
    public void Python_smtplib_delivers_from_the_camera_and_is_refused_from_another_address()
    {
        using var camera = new DlinkCameraSimulator("admin", "cam-secret-9f2");
        using var h = Started(camera, out _);
        var smtp = h.Monitors.CameraReceivers!.Smtp!.EndPoint;

        var (delivered, output) = Python($"""
            import smtplib
            s = smtplib.SMTP('127.0.0.1', {smtp.Port}, timeout=10)
            s.sendmail('cam@dcs.invalid', ['a@kalki.invalid'], 'Subject: Motion\r\n\r\nmotion at door\r\n')
            s.quit()
            print('sent')
            """);
        Assert.That((delivered, output.Trim()), Is.EqualTo((0, "sent")));
        Assert.That(MonitorHarness.Eventually(() => Equals(h.Controller.Latest("cam", "motion"), EvValue.Of(true))), Is.True, string.Join("\n", h.LogLines()));

        var (_, refused) = Python($"""
            import smtplib
            try:
                smtplib.SMTP('127.0.0.1', {smtp.Port}, timeout=10, source_address=('127.0.0.3', 0))
            except smtplib.SMTPConnectError as e:
                print(e.smtp_code, e.smtp_error.decode())
            """);
        Assert.That(refused.Trim(), Is.EqualTo("554 5.7.1 no monitored camera at 127.0.0.3"));
    }

    [Test]
    public void An_http_event_from_the_camera_is_motion_and_from_elsewhere_is_forbidden()
    {
        using var camera = new DlinkCameraSimulator("admin", "cam-secret-9f2");
        using var h = Started(camera, out _);
        var port = h.Monitors.CameraReceivers!.Http!.Port;

        var status = DlinkCameraSimulator.PushHttpEventAsync(new Uri($"http://127.0.0.1:{port}/event?motion=1"), CancellationToken.None).Result;
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(MonitorHarness.Eventually(() => Equals(h.Controller.Latest("cam", "motion"), EvValue.Of(true))), Is.True);

        var answer = Raw(new IPEndPoint(IPAddress.Loopback, port), "GET /event HTTP/1.1\r\nHost: x\r\n\r\n", from: IPAddress.Parse("127.0.0.3"));
        Assert.That(answer, Does.StartWith("HTTP/1.1 403").And.EndWith("no monitored camera at 127.0.0.3"));
        var huge = Raw(new IPEndPoint(IPAddress.Loopback, port), "POST /event HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n{", from: IPAddress.Loopback);
        Assert.That(huge, Does.StartWith("HTTP/1.1 413").And.EndWith("body of 104857600 bytes is over the 65536-byte limit"));
    }

    [Test]
    public void Reboot_reaches_the_camera_with_its_login_and_a_wrong_login_never_shows_the_password()
    {
        using var camera = new DlinkCameraSimulator("admin", "cam-secret-9f2");
        using (var h = Started(camera, out _))
        {
            h.Monitors.Send("cam", "reboot");
            Assert.That(MonitorHarness.Eventually(() => camera.Reboots == 1 && h.Monitors.CommandsSent == 1), Is.True, string.Join("\n", h.LogLines()));
        }

        using var wrong = Started(camera, out var device, password: "not-the-cam-password-77");
        Assert.That(MonitorHarness.Eventually(() => device.LastError is not null), Is.True);
        Assert.That(device.LastError, Is.EqualTo("GET /common/info.cgi: HTTP 401"));
        wrong.Monitors.Send("cam", "reboot");
        Assert.That(MonitorHarness.Eventually(() => wrong.AlertsOf(AlertTypes.CommandFailed).Length == 1, 15), Is.True, string.Join("\n", wrong.LogLines()));
        var everything = string.Join("\n", wrong.LogLines()) + string.Join("\n", wrong.Alerts.Select(a => a.Info)) + device.LastError;
        Assert.That(everything, Does.Not.Contain("not-the-cam-password-77").And.Not.Contain("admin:"));
    }

    [TestCase("model=DCS-930L\ngarbage line\n", "GET /common/info.cgi: line 2 is not key=value: 'garbage line'")]
    [TestCase("model=DCS-930L\nuptime=12\n", "GET /common/info.cgi: no 'version=' line of at most 64 characters")]
    [TestCase("version=1.0\nuptime=-5\n", "GET /common/info.cgi: no 'uptime=' line with a whole number of seconds")]
    public void A_status_page_that_is_not_what_a_camera_sends_says_what_is_wrong_and_counts_as_a_failed_poll(string page, string expected)
    {
        using var camera = new DlinkCameraSimulator("admin", "cam-secret-9f2") { Override = _ => new SmallResponse(200, page, "text/plain") };
        using var h = Started(camera, out var device);

        Assert.That(MonitorHarness.Eventually(() => device.LastError is not null), Is.True, string.Join("\n", h.LogLines()));
        Assert.That((device.LastError, device.Failures), Is.EqualTo((expected, 1L)));
        Assert.That(h.Controller.Latest("cam", "firmware"), Is.Null);
    }

    [Test]
    public void A_never_ending_data_is_cut_off_at_the_size_limit_with_552()
    {
        using var camera = new DlinkCameraSimulator("admin", "cam-secret-9f2");
        using var h = Started(camera, out _);
        using var client = Session(h, "EHLO cam", "MAIL FROM:<c@x>", "RCPT TO:<a@x>", "DATA");
        var line = Encoding.ASCII.GetBytes(new string('x', 900) + "\r\n");
        long written = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            while (written < 100L * 1024 * 1024 && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                client.Stream.Write(line);
                written += line.Length;
            }
        }
        catch (IOException)
        {
            // The receiver closed the connection: expected.
        }

        Assert.That(written, Is.LessThan(32L * 1024 * 1024), "cut off soon after the limit (plus socket buffers), not read to the end");
        Assert.That(client.Rest(), Does.Contain("552 5.3.4 message is over the 65536-byte limit; closing"));
        Assert.That(h.EventuallyLogged("message over 65536 bytes, cut off"), Is.True, string.Join("\n", h.LogLines()));
    }

    [Test]
    public void Long_lines_too_many_recipients_and_a_slow_session_each_get_their_status()
    {
        using var camera = new DlinkCameraSimulator("admin", "cam-secret-9f2");
        using var h = Started(camera, out _);

        using (var longLine = Session(h, "EHLO " + new string('a', 2000)))
        {
            Assert.That(longLine.Rest(), Does.Contain("500 5.5.0 line over the 1000-byte limit; closing"));
        }

        using (var many = Session(h, "HELO cam", "MAIL FROM:<c@x>", "RCPT TO:<1@x>", "RCPT TO:<2@x>", "RCPT TO:<3@x>", "RCPT TO:<4@x>", "QUIT"))
        {
            Assert.That(many.Rest(), Does.Contain("452 4.5.3 more than 3 recipients"));
        }

        using (var declared = Session(h, "EHLO cam", "MAIL FROM:<c@x> SIZE=104857600", "QUIT"))
        {
            Assert.That(declared.Rest(), Does.Contain("552 5.3.4 message of 104857600 bytes is over the 65536-byte limit"));
        }

        var clock = Stopwatch.StartNew();
        using (var slow = Session(h, "EHLO cam"))
        {
            Assert.That(slow.Rest(), Does.Contain("421 4.4.2 session over 2 s; closing"));
        }

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    private static MonitorHarness Started(DlinkCameraSimulator camera, out MonitoredDevice device, string password = "cam-secret-9f2")
    {
        var h = new MonitorHarness(CameraPack);
        device = h.Add("cam", "dlink-camera", $"{{family: dlink-camera, port: {camera.Port}, timeout: 2s}}", $"{{user: admin, password: {password}}}");
        h.Start(new MonitorOptions
        {
            CommandAttempts = 2,
            CommandBackoff = TimeSpan.FromMilliseconds(50),
            CameraEvents = new CameraEventEndpoints(IPAddress.Loopback, 0, 0) { Smtp = Tight },
        });
        Assert.That(MonitorHarness.Eventually(() => h.Monitors.CameraReceivers?.Smtp is not null), Is.True, string.Join("\n", h.LogLines()));
        return h;
    }

    private static SmtpTalk Session(MonitorHarness h, params string[] lines)
    {
        var talk = new SmtpTalk(h.Monitors.CameraReceivers!.Smtp!.EndPoint);
        foreach (var line in lines)
        {
            talk.Stream.Write(Encoding.ASCII.GetBytes(line + "\r\n"));
        }

        return talk;
    }

    private static string Raw(IPEndPoint to, string request, IPAddress from)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        socket.Bind(new IPEndPoint(from, 0));
        socket.Connect(to);
        socket.Send(Encoding.ASCII.GetBytes(request));
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while (answer.Length < 1 << 20 && (n = socket.Receive(buffer)) > 0)
            {
                answer.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            // Reset after the answer: the server never read the body.
        }

        return Encoding.ASCII.GetString(answer.ToArray());
    }

    private static (int Exit, string Output) Python(string script)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-");
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(30_000), Is.True, "python3 finished");
        return (p.ExitCode, output.Result + error.Result);
    }

    /// <summary>
    /// A raw SMTP connection: what a hostile or broken client writes, and everything the receiver answered (read as it
    /// arrives, so a reset after the last reply loses nothing).
    /// </summary>
    private sealed class SmtpTalk : IDisposable
    {
        private readonly TcpClient _client = new();
        private readonly MemoryStream _answer = new();
        private readonly Task _reading;

        public SmtpTalk(IPEndPoint to)
        {
            _client.Connect(to);
            Stream = _client.GetStream();
            _reading = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    int n;
                    while (_answer.Length < 1 << 20 && (n = await Stream.ReadAsync(buffer, bound.Token)) > 0)
                    {
                        lock (_answer)
                        {
                            _answer.Write(buffer, 0, n);
                        }
                    }
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    // Closed, reset or out of time: what arrived is the answer.
                }
            });
        }

        public NetworkStream Stream { get; }

        /// <summary>Everything answered until the receiver closed (bounded: 20 s, 1 MiB).</summary>
        public string Rest()
        {
            _reading.Wait(TimeSpan.FromSeconds(25));
            lock (_answer)
            {
                return Encoding.ASCII.GetString(_answer.ToArray());
            }
        }

        public void Dispose()
        {
            _client.Dispose();
            _reading.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
