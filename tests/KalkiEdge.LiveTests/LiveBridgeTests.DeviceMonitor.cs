using System.Text.Json;
using KalkiEdge.LiveTests.Support;
using KalkiEdge.Store;

namespace KalkiEdge.LiveTests;

/// <summary>
/// The appliance reaches its devices from its own device-side address while it bridges: the Hue monitor polls the
/// testbed's Hue bridge (a real HTTP server in its own namespace) from 192.0.2.2 on dev0, its readings land in the
/// store, and traffic between the devices and the cloud still crosses the bridge.
/// </summary>
public sealed partial class LiveBridgeTests
{
    private const string DeviceAddress = "192.0.2.2";

    [Test]
    public void The_hue_monitor_polls_the_bridge_from_the_device_side_address_while_traffic_crosses()
    {
        var token = Credential("hue", "token");
        var assign = _testbed.Exec("app", TimeSpan.FromSeconds(10), "ip", "addr", "add", DeviceAddress + "/24", "dev", "dev0");
        Assert.That(assign.ExitCode, Is.Zero, assign.ToString());
        try
        {
            PollFromTheDeviceSideAddress(token);
        }
        finally
        {
            _testbed.Exec("app", TimeSpan.FromSeconds(10), "ip", "addr", "del", DeviceAddress + "/24", "dev", "dev0"); // the other tests' appliance has no address
        }
    }

    private void PollFromTheDeviceSideAddress(string token)
    {
        var before = HueLog().Count; // earlier tests' requests are not this test's polls
        var config = _configs.Write(_testbed, interfaces: $"{{devices: [dev0], uplink: up0, device-address: {DeviceAddress}/24}}",
            types: new Dictionary<string, string> { ["hue"] = "philips-hue-bridge" },
            extras: new Dictionary<string, string> { ["hue"] = $"monitor: {{family: hue}}, credentials: {{user: {token}}}" });
        using (var appliance = ApplianceProcess.StartBridging(_testbed, config))
        {
            Assert.That(appliance.WaitFor(l => l.Contains($"device monitors: 1 devices polled from {DeviceAddress}", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Is.True, appliance.Stdout);
            Assert.That(Eventually(() => HuePolls(token, before).Count >= 2, TimeSpan.FromSeconds(30)), Is.True, $"the bridge saw no polls\n{appliance.Stdout}\n{appliance.Stderr}");
            Assert.That(_testbed.Probe("cloud", "http", "http://192.0.2.10/description.xml", "--expect-status", "200"), Is.True, "the bridge stays transparent for the devices' own traffic");

            var result = appliance.Stop();
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Stdout + result.Stderr, Does.Not.Contain(token), "the Hue user never appears in the appliance's output");
        }

        var polls = HuePolls(token, before);
        Assert.That(polls.Select(p => p.Client).Distinct(), Is.EqualTo(new[] { DeviceAddress }), "every poll came from the device-side address");
        Assert.That(polls.Select(p => p.Status).Distinct(), Is.EqualTo(new[] { 200 }));
        using var store = KalkiStore.Open(Path.Combine(Path.GetDirectoryName(config)!, "data", "kalki-edge.db"));
        var readings = store.Telemetry("hue", 1).ToDictionary(r => r.Sensor, r => r.Value);
        // How many of the three lights are on depends on what earlier tests of the fixture switched.
        Assert.That(readings.Keys, Is.EquivalentTo(new[] { "lights-on", "reachable", "api-version" }));
        Assert.That((readings["reachable"], readings["api-version"]), Is.EqualTo(("1", "1.50.0")));
        Assert.That(readings["lights-on"], Does.Match("^[0-3]$"));
    }

    /// <summary>The Hue bridge's log of monitor polls (GET /api/TOKEN/lights): client address and status.</summary>
    private List<(string Client, int Status)> HuePolls(string token, int skip)
    {
        var polls = new List<(string, int)>();
        foreach (var line in HueLog().Skip(skip))
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (r.TryGetProperty("path", out var path) && path.GetString() == $"/api/{token}/lights" && r.TryGetProperty("method", out var m) && m.GetString() == "GET")
            {
                polls.Add((r.GetProperty("client").GetString()!, r.GetProperty("status").GetInt32()));
            }
        }

        return polls;
    }

    private List<string> HueLog()
    {
        var log = Path.Combine("/run/kalki-testbed", _testbed.Prefix, "logs", "hue.log");
        return File.Exists(log) ? [.. File.ReadLines(log)] : [];
    }

    private static bool Eventually(Func<bool> condition, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < until)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(200);
        }

        return condition();
    }
}
