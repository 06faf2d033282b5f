using System.Globalization;
using System.Text.Json;
using KalkiEdge.Devices.Simulators;
using KalkiEdge.LiveTests.Support;
using KalkiEdge.Store;

namespace KalkiEdge.LiveTests;

/// <summary>
/// The kinetic scenario on the namespace testbed: the WeMo plug (a real UPnP SOAP server in its own namespace)
/// drives a heater in a room the appliance senses with its BME280. The chip is emulated inside the appliance's
/// process; the room it senses is this test's thermal model, fed through the sensor's environment-file, heated
/// while the plug (as its own log tells) is on. The attacker on the uplink switches the plug on through the bridge;
/// the room overheats; the alert moves the plug to Attack and the rule's turn-off leaves the appliance's
/// device-side address over a real socket; the plug goes off and the room cools.
/// </summary>
public sealed partial class LiveBridgeTests
{
    [Test]
    public void An_attacker_switches_the_heater_on_the_room_overheats_and_the_plug_is_commanded_off_from_the_device_side_address()
    {
        var assign = _testbed.Exec("app", TimeSpan.FromSeconds(10), "ip", "addr", "add", DeviceAddress + "/24", "dev", "dev0");
        Assert.That(assign.ExitCode, Is.Zero, assign.ToString());
        try
        {
            HeaterScenario();
        }
        finally
        {
            _testbed.Exec("app", TimeSpan.FromSeconds(10), "ip", "addr", "del", DeviceAddress + "/24", "dev", "dev0");
        }
    }

    private void HeaterScenario()
    {
        // Earlier tests may have left the plug on: off, straight from the appliance's namespace (no bridge needed).
        var (offExit, off) = _testbed.Tool("app", "wemo_control", "--target", "192.0.2.11", "--action", "off");
        Assert.That(offExit, Is.Zero, off.ToString());
        var wemoLog = new ServerLog(Path.Combine("/run/kalki-testbed", _testbed.Prefix, "logs", "wemo.log"));
        wemoLog.Skip();
        var plugOn = false;
        var room = new ThermalRoom(() => Volatile.Read(ref plugOn), heatingCelsiusPerSecond: 1.5, tauSeconds: 40);
        var roomFile = Path.Combine(_configs.Dir, $"room-{Guid.NewGuid().ToString("N")[..6]}");
        var readings = new List<double>(); // what the test fed, in order
        var feeding = new object();
        void Feed()
        {
            lock (feeding)
            {
                FeedOnce();
            }
        }

        void FeedOnce()
        {
            foreach (var request in wemoLog.ReadNew())
            {
                Volatile.Write(ref plugOn, request.BinaryState == 1);
            }

            var celsius = room.Now().Celsius;
            var temp = roomFile + ".new";
            File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture, $"{celsius:F2} 45 1013.25\n"));
            File.Move(temp, roomFile, overwrite: true); // atomic: no measurement sees half a line
            lock (readings)
            {
                readings.Add(celsius);
            }
        }

        Feed();
        using var feeder = new Timer(_ => Feed(), null, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200));
        var config = _configs.Write(_testbed, interfaces: $"{{devices: [dev0], uplink: up0, device-address: {DeviceAddress}/24}}",
            types: new Dictionary<string, string> { ["wemo"] = "wemo-insight" },
            extras: new Dictionary<string, string> { ["wemo"] = "monitor: {family: wemo-insight}" },
            sections: $"sensors:\n  - {{name: heater-room, kind: bme280, bus: 1, address: 0x76, attach: wemo, interval: 500ms, environment-file: {roomFile}, readings: {{temperature: room-temp-c}}}}");
        using (var appliance = ApplianceProcess.StartBridging(_testbed, config))
        {
            Assert.That(appliance.WaitFor(l => l.Contains("onboard sensors: heater-room -> wemo every 500ms", StringComparison.Ordinal), TimeSpan.FromSeconds(30)), Is.True, appliance.Stdout);

            var (attackExit, attack) = _testbed.Tool("attacker", "wemo_control", "--target", "192.0.2.11", "--action", "on");
            Assert.That(attackExit, Is.Zero, attack.ToString());

            Assert.That(appliance.WaitFor(l => l.Contains("STATE", StringComparison.Ordinal) && l.Contains("wemo", StringComparison.Ordinal) && l.Contains("Normal -> Suspicious", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
                Is.True, $"the plug's chain caught the control attempt\n{attack}\n{appliance.Stdout}");
            Assert.That(appliance.WaitFor(l => l.Contains("ALERT", StringComparison.Ordinal) && l.Contains("overheat", StringComparison.Ordinal), TimeSpan.FromSeconds(90)),
                Is.True, $"the room overheated\n{appliance.Stdout}\n{appliance.Stderr}");
            Assert.That(appliance.WaitFor(l => l.Contains("STATE", StringComparison.Ordinal) && l.Contains("wemo", StringComparison.Ordinal) && l.Contains("Suspicious -> Attack", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
                Is.True, appliance.Stdout);
            Assert.That(Eventually(() => !Volatile.Read(ref plugOn), TimeSpan.FromSeconds(30)), Is.True, $"the plug was never turned off\n{appliance.Stdout}\n{appliance.Stderr}");
            var peak = Peak(readings);
            Assert.That(Eventually(() => Last(readings) < peak - 1, TimeSpan.FromSeconds(60)), Is.True, "the room cools once the heater is off");
            Thread.Sleep(1500); // three more readings of the cooling room reach the appliance

            var result = appliance.Stop();
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
        }

        var switches = wemoLog.All().Where(r => r.Action == "SetBinaryState").ToList();
        Assert.That(switches.Select(s => (s.Client, s.BinaryState)), Is.EqualTo(new[] { ("192.0.2.200", 1), (DeviceAddress, 0) }),
            "the attacker's switch got through while Normal; the appliance's turn-off came from its device-side address");
        Assert.That(wemoLog.All().Where(r => r.Action == "GetInsightParams").Select(r => r.Client).Distinct(), Is.EqualTo(new[] { DeviceAddress }), "the monitor polled from the device-side address");

        using var store = KalkiStore.Open(Path.Combine(Path.GetDirectoryName(config)!, "data", "kalki-edge.db"));
        var transitions = store.Transitions("wemo", 10).Select(t => (t.From, t.To, t.Rule)).ToList();
        Assert.That(transitions, Does.Contain(("Normal", "Suspicious", "control-attempt")).And.Contain(("Suspicious", "Attack", "overheat")));
        Assert.That(store.Alerts("wemo", 50).Select(a => a.Type), Does.Contain("overheat").And.Contain("control-attempt"));
        var temps = store.Telemetry("wemo", 1000).Where(r => r.Sensor == "room-temp-c").OrderBy(r => r.TimeMicros).Select(r => double.Parse(r.Value, CultureInfo.InvariantCulture)).ToList();
        Assert.That(temps, Has.Some.GreaterThan(30), "the appliance's BME280 sensed the overheated room");
        var max = temps.IndexOf(temps.Max());
        Assert.That(temps.Skip(max).Last(), Is.LessThan(temps[max]), "and then the room cooling");
    }

    private static double Peak(List<double> readings)
    {
        lock (readings)
        {
            return readings.Max();
        }
    }

    private static double Last(List<double> readings)
    {
        lock (readings)
        {
            return readings[^1];
        }
    }

    /// <summary>A testbed server's JSON-lines request log, read as it grows.</summary>
    private sealed class ServerLog(string path)
    {
        private long _offset;

        public sealed record Request(string Client, string? Action, int? BinaryState);

        public void Skip() => _offset = File.Exists(path) ? new FileInfo(path).Length : 0;

        /// <summary>The complete lines written since the last call (a line still being written waits for the next).</summary>
        public List<Request> ReadNew()
        {
            lock (_all)
            {
                if (!File.Exists(path))
                {
                    return [];
                }

                byte[] bytes;
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                {
                    stream.Seek(_offset, SeekOrigin.Begin);
                    using var rest = new MemoryStream();
                    stream.CopyTo(rest);
                    bytes = rest.ToArray();
                }

                var complete = Array.LastIndexOf(bytes, (byte)'\n') + 1;
                _offset += complete;
                var requests = System.Text.Encoding.UTF8.GetString(bytes, 0, complete)
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(Parse)
                    .OfType<Request>()
                    .ToList();
                _all.AddRange(requests);
                return requests;
            }
        }

        public List<Request> All()
        {
            ReadNew();
            lock (_all)
            {
                return [.. _all];
            }
        }

        private readonly List<Request> _all = [];

        /// <summary>A request line; null for the server's other events (start, stop).</summary>
        private static Request? Parse(string line)
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (!r.TryGetProperty("event", out var e) || e.GetString() != "request")
            {
                return null;
            }

            return new Request(
                r.TryGetProperty("client", out var c) ? c.GetString() ?? "" : "",
                r.TryGetProperty("action", out var a) ? a.GetString() : null,
                r.TryGetProperty("binaryState", out var b) && b.ValueKind == JsonValueKind.Number ? b.GetInt32() : null);
        }
    }
}
