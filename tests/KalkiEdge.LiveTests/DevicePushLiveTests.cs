using System.Globalization;
using System.Text.Json;
using KalkiEdge.Appliance.Packs;
using KalkiEdge.LiveTests.Support;
using KalkiEdge.Store;
using KalkiEdge.TestKit.Mqtt;

namespace KalkiEdge.LiveTests;

/// <summary>
/// Devices that push their readings, on the namespace testbed while the appliance bridges: the camera in its own
/// namespace sends its motion e-mail (SMTP) and its HTTP event to the appliance's device-side address, and a board
/// publishes to the site's Mosquitto, a host on the devices' switch that the appliance's MQTT monitor reaches from the
/// same address. Each reading reaches the control plane: the policy's alerts and state changes follow, and a device
/// that falls silent is declared unavailable. Senders that are not a monitored camera, and anyone on the uplink, get
/// nothing from the device-side address.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DevicePushLiveTests : TestbedFixture
{
    private const string DeviceAddress = "192.0.2.2";
    private const string BrokerIp = "192.0.2.20";
    private static readonly TimeSpan Reaction = TimeSpan.FromSeconds(60);

    [OneTimeSetUp]
    public void AssignDeviceAddress()
    {
        var assign = _testbed.Exec("app", TimeSpan.FromSeconds(10), "ip", "addr", "add", DeviceAddress + "/24", "dev", "dev0");
        Assert.That(assign.ExitCode, Is.Zero, assign.ToString());
    }

    [Test]
    public void Camera_motion_mailed_and_pushed_to_the_device_side_address_moves_the_camera_and_others_are_refused()
    {
        using var configs = new LiveConfig();
        var password = Credential("cam", "password");
        // The site's operator made motion an alert (an edited pack, as the dashboard's policy editor saves it).
        var dataDir = Path.Combine(configs.Dir, "data");
        Directory.CreateDirectory(EditedPacks.Directory(dataDir));
        File.WriteAllText(EditedPacks.FileFor(dataDir, "dlink-camera"), MotionAlertingCameraPack());
        var config = configs.Write(_testbed, interfaces: $"{{devices: [dev0], uplink: up0, device-address: {DeviceAddress}/24}}",
            types: new Dictionary<string, string> { ["cam"] = "dlink-camera" },
            extras: new Dictionary<string, string> { ["cam"] = $"monitor: {{family: dlink-camera}}, credentials: {{user: admin, password: {password}}}" });
        var cameraLog = Path.Combine("/run/kalki-testbed", _testbed.Prefix, "logs", "camera.log");
        var polledBefore = StatusPolls(cameraLog).Count;

        using (var appliance = ApplianceProcess.StartBridging(_testbed, config))
        {
            Assert.That(appliance.WaitFor(l => l.Contains($"camera events: SMTP on {DeviceAddress}:25", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), Is.True, appliance.Stdout);
            Assert.That(appliance.WaitFor(l => l.Contains($"camera events: HTTP on {DeviceAddress}:8025/event", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), Is.True, appliance.Stdout);

            // A device of the LAN that is not a monitored camera is refused by both receivers, and reaches no state.
            var (_, stranger) = _testbed.Tool("udoo", "camera_motion", "--smtp", $"{DeviceAddress}:25", "--http", $"http://{DeviceAddress}:8025/event");
            Assert.That(stranger.GetProperty("mail")[0].GetString(), Does.StartWith("554"), stranger.ToString());
            Assert.That(stranger.GetProperty("http")[0].GetString(), Is.EqualTo("403"), stranger.ToString());
            // The uplink never reaches the device-side address: the bridge forwards nothing to the appliance's own MAC.
            Assert.That(_testbed.Probe("attacker", "tcp", DeviceAddress, "25", "--expect-fail"), Is.True, "the attacker on the uplink reached the device-side address");

            var (exit, motion) = _testbed.Tool("cam", "camera_motion", "--smtp", $"{DeviceAddress}:25", "--http", $"http://{DeviceAddress}:8025/event");
            Assert.That(exit, Is.Zero, motion.ToString());
            Assert.That((motion.GetProperty("mail")[0].GetString(), motion.GetProperty("http")[0].GetString()), Is.EqualTo(("sent", "200")), motion.ToString());
            Assert.That(appliance.WaitFor(l => l.Contains("ALERT", StringComparison.Ordinal) && l.Contains("motion-detected", StringComparison.Ordinal), Reaction), Is.True, appliance.Stdout);
            Assert.That(appliance.WaitFor(l => l.Contains("STATE", StringComparison.Ordinal) && l.Contains("cam", StringComparison.Ordinal) && l.Contains("Normal -> Suspicious", StringComparison.Ordinal), Reaction),
                Is.True, appliance.Stdout);
            Assert.That(Waiting.Until(() => StatusPolls(cameraLog).Count > polledBefore, Reaction), Is.True, "the camera's status page was polled");

            var result = appliance.Stop();
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Stdout + result.Stderr, Does.Not.Contain(password), "the camera's password appears nowhere in the appliance's output");
        }

        var polls = StatusPolls(cameraLog).Skip(polledBefore).ToList();
        Assert.That(polls.Select(p => (p.Client, p.Status)).Distinct(), Is.EqualTo(new[] { (DeviceAddress, 200) }), "the status poll left from the device-side address and signed in");
        using var store = KalkiStore.Open(Path.Combine(dataDir, "kalki-edge.db"));
        var telemetry = store.Telemetry("cam", 100).ToList();
        Assert.That(telemetry.Where(r => r.Sensor == "motion").Select(r => r.Value), Does.Contain("1"), "the pushed motion reached the store");
        Assert.That(telemetry.Where(r => r.Sensor == "firmware").Select(r => r.Value), Does.Contain("1.15.12"), "the polled status page reached the store");
        Assert.That(store.Alerts("cam", 50).Select(a => a.Type), Does.Contain("motion-detected"));
        Assert.That(store.Transitions("cam", 10).Select(t => (t.From, t.To, t.Rule)), Does.Contain(("Normal", "Suspicious", "motion")));
    }

    [Test]
    public void A_board_publishing_to_the_sites_mosquitto_overheats_into_suspicious_and_is_declared_unavailable_when_it_falls_silent()
    {
        using var configs = new LiveConfig();
        _testbed.AddLanHost("broker", "02:4b:45:04:00:14", BrokerIp);
        const string Password = "site-broker-pass-7d1";
        using var broker = new MosquittoBroker(configs.Dir, "site", Password, _testbed.Namespace("broker"), BrokerIp);
        var config = configs.Write(_testbed, interfaces: $"{{devices: [dev0], uplink: up0, device-address: {DeviceAddress}/24}}",
            types: new Dictionary<string, string> { ["udoo"] = "udoo-neo" },
            extras: new Dictionary<string, string>
            {
                ["udoo"] = $"monitor: {{family: mqtt, broker: {BrokerIp}, topic: site/udoo/state, fields: {{cpu-temp-c: cpu.temp, load: cpu.load, ssh-sessions: ssh.sessions}}}}, credentials: {{user: site, password: {Password}}}",
            });

        using (var appliance = ApplianceProcess.StartBridging(_testbed, config))
        {
            Assert.That(Waiting.Until(() => broker.Log.Contains($"New client connected from {DeviceAddress}:", StringComparison.Ordinal), Reaction), Is.True,
                $"the monitor reached the broker from the device-side address\n{broker.Log}\n{appliance.Stdout}");

            // The board runs hot: three readings at or over 85 °C make the pack's overheat condition true.
            var hot = """{"cpu": {"temp": 91.5, "load": 0.75}, "ssh": {"sessions": 1}}""";
            Assert.That(Waiting.Until(() => Publish(hot, 3) && appliance.WaitFor(l => l.Contains("ALERT", StringComparison.Ordinal) && l.Contains("overheat", StringComparison.Ordinal), TimeSpan.FromSeconds(5)), Reaction),
                Is.True, $"no overheat alert\n{appliance.Stdout}\n{broker.Log}");
            Assert.That(appliance.WaitFor(l => l.Contains("STATE", StringComparison.Ordinal) && l.Contains("udoo", StringComparison.Ordinal) && l.Contains("Normal -> Suspicious", StringComparison.Ordinal), Reaction),
                Is.True, appliance.Stdout);

            // The board stops publishing (its broker is gone): after three sampling intervals (5 s in Suspicious) it is unavailable.
            broker.Stop();
            Assert.That(appliance.WaitFor(l => l.Contains("ALERT", StringComparison.Ordinal) && l.Contains("device-unavailable", StringComparison.Ordinal) && l.Contains("udoo", StringComparison.Ordinal), TimeSpan.FromSeconds(90)),
                Is.True, appliance.Stdout);

            var result = appliance.Stop();
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Stdout + result.Stderr, Does.Not.Contain(Password), "the broker password appears nowhere in the appliance's output");
        }

        using var store = KalkiStore.Open(Path.Combine(configs.Dir, "data", "kalki-edge.db"));
        var temps = store.Telemetry("udoo", 100).Where(r => r.Sensor == "cpu-temp-c").Select(r => double.Parse(r.Value, CultureInfo.InvariantCulture)).ToList();
        Assert.That(temps, Has.Count.GreaterThanOrEqualTo(3).And.All.EqualTo(91.5), "every published reading reached the store as a decimal");
        Assert.That(store.Alerts("udoo", 50).Select(a => a.Type), Does.Contain("overheat").And.Contain("device-unavailable"));
        Assert.That(store.Transitions("udoo", 10).Select(t => (t.From, t.To, t.Rule)), Does.Contain(("Normal", "Suspicious", "overheating")));
    }

    /// <summary>The board publishes <paramref name="json"/> <paramref name="count"/> times to the site's broker; true when every one was acknowledged.</summary>
    private bool Publish(string json, int count)
    {
        var (exit, _) = _testbed.Tool("udoo", "mqtt_publish", "--broker", BrokerIp, "--user", "site", "--password", "site-broker-pass-7d1",
            "--client-id", "udoo-board", "--topic", "site/udoo/state", "--message", json, "--count", count.ToString(CultureInfo.InvariantCulture), "--rate", "5");
        return exit == 0;
    }

    /// <summary>The shipped camera pack with motion made an alert that moves the camera to Suspicious.</summary>
    private static string MotionAlertingCameraPack()
    {
        var shipped = File.ReadAllText(Path.Combine(RepoPaths.Root, "umboxes", "packs", "dlink-camera.yaml"));
        var edited = shipped
            .Replace("commands: [reboot]\n", """
                commands: [reboot]
                alert-types: [motion-detected]
                telemetry-alerts:
                  - alert: motion-detected
                    all: [{sensor: motion, op: "==", value: true}]

                """, StringComparison.Ordinal)
            .Replace("rules:\n", """
                rules:
                  - {name: motion, from: Normal, to: Suspicious, priority: 12, window: 10min, when: {alert: motion-detected}}

                """, StringComparison.Ordinal);
        Assert.That(edited, Does.Contain("motion-detected").And.Contain("name: motion,"), "the shipped pack changed shape: update this edit");
        return edited;
    }

    private string Credential(string device, string key)
    {
        using var status = JsonDocument.Parse(_testbed.Call("status", "--json").Stdout);
        return status.RootElement.GetProperty("credentials").GetProperty(device).GetProperty(key).GetString()!;
    }

    /// <summary>The camera's log of status page requests: client address and status.</summary>
    private static List<(string Client, int Status)> StatusPolls(string log)
    {
        if (!File.Exists(log))
        {
            return [];
        }

        var polls = new List<(string, int)>();
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (!line.EndsWith('}'))
            {
                continue; // being written
            }

            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (r.TryGetProperty("path", out var path) && path.GetString() == "/common/info.cgi")
            {
                polls.Add((r.GetProperty("client").GetString()!, r.GetProperty("status").GetInt32()));
            }
        }

        return polls;
    }
}
