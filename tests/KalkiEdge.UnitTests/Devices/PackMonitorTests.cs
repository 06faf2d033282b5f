using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using KalkiEdge.Appliance.Control;
using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices;
using KalkiEdge.Devices.Camera;
using KalkiEdge.Devices.HttpJson;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.Devices.Simulators;
using KalkiEdge.TestKit.Mqtt;
using KalkiEdge.UnitTests.Management;
using MQTTnet;
using MQTTnet.Protocol;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// A pack's <c>monitor:</c>: each mistake an error at its place in the pack (with "did you mean"), and a pack imported
/// through the API driving the monitor of a device added at run time: a JSON status page polled on loopback, an MQTT
/// topic on a real Mosquitto broker.
/// </summary>
public sealed class PackMonitorTests : ManagementAppFixture
{
    private const string BrokerPassword = "pack-broker-pass-7q";

    [Test]
    public void A_bad_mapping_key_command_or_setting_is_an_error_at_its_place_with_a_suggestion()
    {
        var diagnostics = new DiagnosticBag();
        PackLoader.Load("board.yaml", Board("""
            monitor:
              family: http-json
              pth: /status
              fields: {cpu-tmp-c: cpu.temp, sessions: ssh.count}
              commands: {rebot: /reboot}
            """), diagnostics);

        Assert.That(diagnostics.Items.Select(d => $"{d.File}:{d.Line}:{d.Column}: {d.Message} [{d.Suggestion}]"), Is.EquivalentTo(new[]
        {
            "board.yaml:9:3: pack 'board' monitor: unknown key 'pth' (did you mean 'path'?) [path]",
            "board.yaml:10:12: pack 'board' monitor: field for 'cpu-tmp-c', which is not a sensor of the pack (did you mean 'cpu-temp-c'?) (sensors: cpu-temp-c, sessions) [cpu-temp-c]",
            "board.yaml:11:14: pack 'board' monitor: 'rebot' is not a command of the pack (did you mean 'reboot'?) (commands: reboot) [reboot]",
        }));
    }

    [TestCase("  family: htp-json", 8, 11, "pack 'board' monitor: unknown monitor family 'htp-json'")]
    [TestCase("  port: 70000", 11, 9, "monitor http-json: 'port' must be between 1 and 65535")]
    [TestCase("  path: status", 11, 9, "monitor http-json: 'status' is not a URL path")]
    [TestCase("  topic: a/b", 11, 10, "monitor http-json: unknown argument 'topic'")]
    public void The_familys_own_checks_point_into_the_pack(string line, int lineNumber, int column, string expected)
    {
        var diagnostics = new DiagnosticBag();
        var monitor = "monitor:\n  family: http-json\n  fields: {cpu-temp-c: cpu.temp}\n  commands: {reboot: /reboot}\n";
        monitor = line.StartsWith("  family", StringComparison.Ordinal) ? monitor.Replace("  family: http-json", line, StringComparison.Ordinal) : monitor + line;
        var pack = PackLoader.Load("board.yaml", Board(monitor), diagnostics)!;
        Assert.That(diagnostics.Items, Is.Empty, "the pack itself reads");

        PackMonitorArgs.Check(MonitorLibrary.CreateRegistry(), [pack], diagnostics);

        var error = diagnostics.Items.Single();
        Assert.That((error.File, error.Line, error.Column), Is.EqualTo(("board.yaml", lineNumber, column)), error.ToString());
        Assert.That(error.Message, Does.StartWith(expected));
    }

    [Test]
    public async Task A_pack_with_a_misspelt_family_is_refused_by_the_editor_at_its_line()
    {
        using var browser = await _app.SignedInAsync();
        var response = await browser.PostAsJsonAsync("/api/packs", new { yaml = Board("monitor: {family: http-jsn, fields: {cpu-temp-c: cpu.temp}}") });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity), await response.Content.ReadAsStringAsync());
        var field = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("fields").EnumerateArray().Single();
        Assert.That((field.GetProperty("line").GetInt32(), field.GetProperty("column").GetInt32()), Is.EqualTo((7, 19)));
        Assert.That(field.GetProperty("message").GetString(), Does.Contain("unknown monitor family 'http-jsn'"));
        Assert.That(field.GetProperty("suggestion").GetString(), Does.Contain("http-json"));
    }

    [Test]
    public async Task A_device_added_at_run_time_is_polled_with_its_packs_json_mapping_and_sent_its_commands()
    {
        using var board = new JsonDeviceSimulator(() => """{"cpu": {"temp": 71.5}, "ssh": {"count": 3}}""", "/v1/state", IPAddress.Loopback);
        using var browser = await _app.SignedInAsync();
        await Import(browser, Board($$"""
            monitor:
              family: http-json
              address: 127.0.0.1
              port: {{board.Port.ToString(CultureInfo.InvariantCulture)}}
              path: /v1/state
              fields: {cpu-temp-c: cpu.temp, sessions: ssh.count}
              commands: {reboot: /v1/reboot}
            """));
        using var runtime = Start(out var log);

        await Add(browser, new DeviceBody("board7", "board", "02:00:00:00:07:17", ["192.0.2.77"], null));
        var control = _app.Site.Appliance.Control;
        Assert.That(MonitorHarness.Eventually(() => control.Latest("board7", "sessions") is not null, 30), Is.True, Lines(log));
        Assert.That((control.Latest("board7", "cpu-temp-c"), control.Latest("board7", "sessions")), Is.EqualTo((EvValue.Of(71.5m), EvValue.Of(3L))));
        Assert.That(runtime.Monitors.Devices.Single(d => d.Name == "board7").Monitor, Is.InstanceOf<HttpJsonMonitor>());

        runtime.Monitors.Send("board7", "reboot");
        Assert.That(MonitorHarness.Eventually(() => board.Commands.Contains("/v1/reboot"), 30), Is.True, Lines(log));
    }

    [Test]
    public async Task A_device_added_at_run_time_subscribes_to_its_own_topic_with_its_packs_mqtt_mapping()
    {
        using var broker = new MosquittoBroker(_dir, "site", BrokerPassword);
        using var browser = await _app.SignedInAsync();
        await Import(browser, Board($$"""
            monitor:
              family: mqtt
              broker: 127.0.0.1
              broker-port: {{broker.Port.ToString(CultureInfo.InvariantCulture)}}
              topic: site/{device}/state
              command-topic: site/{device}/set
              fields: {cpu-temp-c: cpu.temp, sessions: ssh.count}
              commands: [reboot]
            """));
        using var runtime = Start(out var log);
        await Add(browser, new DeviceBody("board8", "board", "02:00:00:00:07:18", ["192.0.2.78"], new("site", BrokerPassword)));

        using var device = new MqttClientFactory().CreateMqttClient();
        await device.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("board8").WithCredentials("site", BrokerPassword).Build());
        var commands = new List<string>();
        device.ApplicationMessageReceivedAsync += e =>
        {
            lock (commands)
            {
                commands.Add($"{e.ApplicationMessage.Topic} {Encoding.UTF8.GetString(e.ApplicationMessage.Payload)}");
            }

            return Task.CompletedTask;
        };
        await device.SubscribeAsync("site/board8/set", MqttQualityOfServiceLevel.AtLeastOnce);
        var control = _app.Site.Appliance.Control;
        var reading = new MqttApplicationMessageBuilder().WithTopic("site/board8/state").WithPayload("""{"cpu": {"temp": 64.25}, "ssh": {"count": 1}}""")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

        // Published again until the monitor has subscribed (a message before that is not retained).
        Assert.That(MonitorHarness.Eventually(() => device.PublishAsync(reading).Wait(TimeSpan.FromSeconds(10)) && MonitorHarness.Eventually(() => control.Latest("board8", "sessions") is not null, 1), 30),
            Is.True, Lines(log) + "\n" + broker.Log);
        Assert.That(control.Latest("board8", "cpu-temp-c"), Is.EqualTo(EvValue.Of(64.25m)));

        runtime.Monitors.Send("board8", "reboot");
        Assert.That(MonitorHarness.Eventually(() => { lock (commands) { return commands.Contains("site/board8/set {\"command\":\"reboot\"}"); } }, 30), Is.True, Lines(log));
    }

    /// <summary>A pack of a board with <paramref name="monitor"/> from line 7 on.</summary>
    private static string Board(string monitor) => """
        type: board
        sampling: 1s
        sensors: {cpu-temp-c: decimal, sessions: int}
        commands: [reboot]
        chains: {Normal: udoo-normal, Suspicious: udoo-strict, Attack: block-all}
        rules: [{name: silent, from: Normal, to: Suspicious, priority: 5, window: 1min, when: {alert: device-unavailable}}, {name: flood, from: Suspicious, to: Attack, priority: 10, window: 1min, when: {alert: flood}}]

        """ + monitor + "\n";

    private static async Task Import(HttpClient browser, string yaml)
    {
        var response = await browser.PostAsJsonAsync("/api/packs", new { yaml });
        Assert.That((int)response.StatusCode, Is.InRange(200, 299), await response.Content.ReadAsStringAsync());
    }

    private static async Task Add(HttpClient browser, DeviceBody device)
    {
        var added = await browser.PostAsJsonAsync("/api/devices", device);
        Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created), await added.Content.ReadAsStringAsync());
    }

    private MonitorRuntime Start(out List<string> log)
    {
        var lines = new List<string>();
        log = lines;
        _app.Site.Appliance.Control.Start();
        return MonitorWiring.Start(_app.Site.Appliance, null, m => { lock (lines) { lines.Add(m); } },
            new MonitorOptions { CameraEvents = new CameraEventEndpoints(IPAddress.Loopback, 0, 0) });
    }

    private static string Lines(List<string> log)
    {
        lock (log)
        {
            return string.Join("\n", log);
        }
    }

    private sealed record DeviceBody(string name, string type, string mac, string[] ips, CredentialsBody? credentials);

    private sealed record CredentialsBody(string username, string password);
}
