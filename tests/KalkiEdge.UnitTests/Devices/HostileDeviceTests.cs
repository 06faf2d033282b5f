using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KalkiEdge.Core;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.Devices.Simulators;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>Devices that answer slowly, wrongly, hugely or not at all: a clear status in bounded time and bytes.</summary>
public sealed class HostileDeviceTests
{
    private const string Head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n";

    [Test]
    public void A_hundred_megabyte_answer_is_refused_after_the_limit_not_read_to_its_end()
    {
        long written = 0;
        var endless = new SmallResponse(200, "") { Raw = async (s, t) => await Endless(s, n => Interlocked.Add(ref written, n), t) };
        var (device, elapsed) = PollHue(_ => endless);

        Assert.That(device.LastError, Is.EqualTo("answer is over the 262144-byte limit"));
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(Interlocked.Read(ref written), Is.LessThan(100L * 1024 * 1024), "the monitor stopped reading long before the end");
    }

    [Test]
    public void A_declared_hundred_megabyte_body_is_refused_from_its_length()
    {
        var declared = new SmallResponse(200, "") { Raw = (s, t) => s.WriteAsync(Encoding.ASCII.GetBytes(Head + "Content-Length: 104857600\r\n\r\n{"), t).AsTask() };
        var (device, _) = PollHue(_ => declared);

        Assert.That(device.LastError, Is.EqualTo("answer of 104857600 bytes is over the 262144-byte limit"));
    }

    [Test]
    public void A_device_that_never_answers_is_a_timeout_not_a_stuck_monitor()
    {
        var silent = new SmallResponse(200, "") { Raw = (s, t) => Task.Delay(TimeSpan.FromSeconds(30), t) };
        var (device, elapsed) = PollHue(_ => silent, timeout: "300ms");

        Assert.That(device.LastError, Is.EqualTo("no answer within 300 ms"));
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public void A_body_dribbled_a_byte_at_a_time_is_cut_off_by_the_timeout()
    {
        var dribble = new SmallResponse(200, "") { Raw = async (s, t) =>
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes(Head + "\r\n"), t);
            for (int i = 0; i < 300 && !t.IsCancellationRequested; i++)
            {
                await s.WriteAsync("["u8.ToArray(), t);
                await Task.Delay(100, t);
            }
        } };
        var (device, _) = PollHue(_ => dribble, timeout: "500ms");

        Assert.That(device.LastError, Is.EqualTo("no answer within 500 ms"));
    }

    [TestCase("{\"1\": {\"state\": {\"on\": tru", "malformed JSON")]
    [TestCase("[1, 2", "malformed JSON")]
    [TestCase("{\"1\": {\"state\": {\"on\": \"yes\", \"reachable\": true}}}", "light 1 has no boolean \"on\"")]
    [TestCase("{\"1\": 7}", "light 1 has no state")]
    [TestCase("\"a string\"", "expected an object of lights, got String")]
    public void Malformed_hue_answers_say_what_is_wrong(string body, string expected)
    {
        var (device, _) = PollHue(_ => new SmallResponse(200, body));

        Assert.That(device.LastError, Does.Contain(expected));
    }

    [Test]
    public void Json_nested_ten_thousand_deep_is_refused_at_the_depth_limit()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var (device, _) = PollHue(_ => new SmallResponse(200, deep));

        Assert.That(device.LastError, Does.Contain("malformed JSON").And.Contain("depth"));
    }

    [Test]
    public void Bytes_that_are_not_utf8_are_refused()
    {
        var garbage = new SmallResponse(200, "") { Raw = (s, t) => s.WriteAsync((byte[])[.. Encoding.ASCII.GetBytes(Head + "\r\n"), 0xFF, 0xFE, 0xC3], t).AsTask() };
        var (device, _) = PollHue(_ => garbage);

        Assert.That(device.LastError, Is.EqualTo("answer is not UTF-8 text"));
    }

    [TestCase("<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><s:Envelope xmlns:s=\"x\"><BinaryState>&lol2;</BinaryState></s:Envelope>", "malformed XML")]
    [TestCase("<s:Envelope xmlns:s=\"x\"><BinaryState>1", "malformed XML")]
    [TestCase("<s:Envelope xmlns:s=\"x\"><s:Body><s:Fault><faultstring>no</faultstring></s:Fault></s:Body></s:Envelope>", "SOAP fault")]
    [TestCase("<s:Envelope xmlns:s=\"x\"><Other>1</Other></s:Envelope>", "no <BinaryState> in the answer")]
    [TestCase("<s:Envelope xmlns:s=\"x\"><BinaryState>maybe</BinaryState></s:Envelope>", "'maybe' is not a state")]
    public void Malformed_or_hostile_soap_answers_say_what_is_wrong(string body, string expected)
    {
        using var plug = new WemoSimulator { Override = _ => new SmallResponse(200, body, "text/xml") };
        using var h = new MonitorHarness(MonitorHarness.HeaterPlug);
        var device = h.Add("plug", "heater-plug", $"{{family: wemo-insight, port: {plug.Port}}}");
        h.Start();

        Assert.That(MonitorHarness.Eventually(() => device.LastError is not null), Is.True);
        Assert.That(device.LastError, Does.Contain(expected));
    }

    [Test]
    public void Insight_params_that_are_not_numbers_are_refused()
    {
        Assert.That(() => KalkiEdge.Devices.Wemo.WemoMonitor.ParseInsight("1|2|3|4|5|6|7|lots|8|9|10"),
            Throws.TypeOf<KalkiEdge.Devices.Http.DeviceProtocolException>().With.Message.Contains("is not state|lastchange"));
        Assert.That(KalkiEdge.Devices.Wemo.WemoMonitor.ParseInsight("1|1733300000|120|3600|86400|1209600|20|1500000|6000000|6000000|8000"), Is.EqualTo((1500m, 0.1m)));
    }

    [Test]
    public void A_device_that_is_not_there_is_a_connection_failure_then_unavailable()
    {
        var port = ClosedPort();
        using var h = new MonitorHarness(MonitorHarness.HeaterPlug);
        var device = h.Add("plug", "heater-plug", $"{{family: wemo-insight, port: {port}}}", samplingMicros: 100_000);
        h.Start();

        Assert.That(MonitorHarness.Eventually(() => h.AlertsOf(AlertTypes.DeviceUnavailable).Length > 0), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(device.LastError, Is.EqualTo("connection failed: ConnectionRefused"));
        Assert.That(h.Controller.Devices["plug"].State, Is.EqualTo("Suspicious"), "the pack's rule on device-unavailable fired");
        Assert.That(h.LogLines(), Has.Exactly(1).Contains("poll failed"), "a failing device is logged once, not once per poll");
    }

    /// <summary>A Hue monitor polling a bridge that answers with <paramref name="answer"/>; returns once a poll failed.</summary>
    private static (MonitoredDevice Device, TimeSpan Elapsed) PollHue(Func<SmallRequest, SmallResponse?> answer, string timeout = "5s")
    {
        using var bridge = new HueSimulator("user") { Override = answer };
        using var h = new MonitorHarness("""
            type: philips-hue-bridge
            sensors: {lights-on: int, reachable: bool, api-version: string}
            chains: {Normal: open, Suspicious: watched, Attack: closed}
            rules:
              - {name: silent, from: Normal, to: Suspicious, priority: 5, window: 1min, when: {alert: device-unavailable}}
            """);
        var device = h.Add("hue", "philips-hue-bridge", $"{{family: hue, port: {bridge.Port}, timeout: {timeout}}}", "{user: user}");
        var clock = Stopwatch.StartNew();
        h.Start();
        Assert.That(MonitorHarness.Eventually(() => device.Failures > 0, 20), Is.True, "the poll never ended");
        return (device, clock.Elapsed);
    }

    private static async Task Endless(Stream s, Action<int> count, CancellationToken t)
    {
        await s.WriteAsync(Encoding.ASCII.GetBytes(Head + "\r\n"), t);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)' ');
        for (int i = 0; i < 1600 && !t.IsCancellationRequested; i++) // 100 MiB at most
        {
            await s.WriteAsync(chunk, t);
            count(chunk.Length);
        }
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
