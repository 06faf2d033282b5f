using System.Text.Json;
using KalkiEdge.LiveTests.Support;
using KalkiEdge.Store;

namespace KalkiEdge.LiveTests;

/// <summary>
/// The appliance reaches its devices from its own device-side address while it bridges: the Hue monitor polls the
/// testbed's Hue bridge (a real HTTP server in its own namespace) from 192.0.2.2 on dev0, its readings land in the
/// store, and traffic between the devices and the cloud still crosses the bridge.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DeviceMonitorLiveTests
{
    private const string DeviceAddress = "192.0.2.2";
    private Testbed _testbed = null!;
    private LiveConfig _configs = null!;

    [OneTimeSetUp]
    public void BuildTestbed()
    {
        if (Testbed.WhyUnavailable() is { } why)
        {
            Assert.Ignore($"live tests skipped: {why}");
        }

        _configs = new LiveConfig();
        _testbed = Testbed.Up();
    }

    [OneTimeTearDown]
    public void TearDownTestbed()
    {
        _testbed?.Dispose();
        _configs?.Dispose();
    }

    [Test]
    public void The_hue_monitor_polls_the_bridge_from_the_device_side_address_while_traffic_crosses()
    {
        var token = HueToken();
        var assign = _testbed.Exec("app", TimeSpan.FromSeconds(10), "ip", "addr", "add", DeviceAddress + "/24", "dev", "dev0");
        Assert.That(assign.ExitCode, Is.Zero, assign.ToString());
        var config = _configs.Write(_testbed, interfaces: $"{{devices: [dev0], uplink: up0, device-address: {DeviceAddress}/24}}",
            types: new Dictionary<string, string> { ["hue"] = "philips-hue-bridge" },
            extras: new Dictionary<string, string> { ["hue"] = $"monitor: {{family: hue}}, credentials: {{user: {token}}}" });
        using (var appliance = ApplianceProcess.StartBridging(_testbed, config))
        {
            Assert.That(appliance.WaitFor(l => l.Contains($"device monitors: 1 devices polled from {DeviceAddress}", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Is.True, appliance.Stdout);
            Assert.That(Eventually(() => HuePolls(token).Count >= 2, TimeSpan.FromSeconds(30)), Is.True, $"the bridge saw no polls\n{appliance.Stdout}\n{appliance.Stderr}");
            Assert.That(_testbed.Probe("cloud", "http", "http://192.0.2.10/description.xml", "--expect-status", "200"), Is.True, "the bridge stays transparent for the devices' own traffic");

            var result = appliance.Stop();
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Stdout + result.Stderr, Does.Not.Contain(token), "the Hue user never appears in the appliance's output");
        }

        var polls = HuePolls(token);
        Assert.That(polls.Select(p => p.Client).Distinct(), Is.EqualTo(new[] { DeviceAddress }), "every poll came from the device-side address");
        Assert.That(polls.Select(p => p.Status).Distinct(), Is.EqualTo(new[] { 200 }));
        using var store = KalkiStore.Open(Path.Combine(Path.GetDirectoryName(config)!, "data", "kalki-edge.db"));
        var readings = store.Telemetry("hue", 1).ToDictionary(r => r.Sensor, r => r.Value);
        Assert.That(readings, Is.EquivalentTo(new Dictionary<string, string> { ["lights-on"] = "0", ["reachable"] = "1", ["api-version"] = "1.50.0" }));
    }

    private string HueToken()
    {
        using var status = JsonDocument.Parse(_testbed.Call("status", "--json").Stdout);
        return status.RootElement.GetProperty("credentials").GetProperty("hue").GetProperty("token").GetString()!;
    }

    /// <summary>The Hue bridge's log of monitor polls (GET /api/TOKEN/lights): client address and status.</summary>
    private List<(string Client, int Status)> HuePolls(string token)
    {
        var log = Path.Combine("/run/kalki-testbed", _testbed.Prefix, "logs", "hue.log");
        if (!File.Exists(log))
        {
            return [];
        }

        var polls = new List<(string, int)>();
        foreach (var line in File.ReadLines(log))
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
