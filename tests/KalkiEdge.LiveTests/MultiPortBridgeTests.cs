using System.Text;
using KalkiEdge.LiveTests.Support;

namespace KalkiEdge.LiveTests;

/// <summary>
/// The live bridge with several device-side ports: a sensor on its own port (dev1) beside the testbed's IoT LAN (dev0). Both
/// reach the cloud through their own chains, and traffic for the sensor is not sprayed onto the other port once
/// the bridge has learned where the sensor is.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class MultiPortBridgeTests : TestbedFixture
{
    private TestbedHost _sensor = null!;

    [OneTimeSetUp]
    public void AddSensorPort() =>
        _sensor = _testbed.AddDevicePort("dev1", "02:4b:45:00:00:03", "sensor", "02:4b:45:01:00:14", "192.0.2.14");

    [Test]
    public void Devices_on_two_ports_each_reach_the_cloud_and_unicast_for_one_port_stays_off_the_other()
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, Config(sensorChain: "pass"));

        Assert.Multiple(() =>
        {
            Assert.That(_testbed.Probe("sensor", "ping", "192.0.2.100", "--count", "3"), "ping sensor (dev1) -> cloud");
            Assert.That(_testbed.Probe("hue", "ping", "192.0.2.100", "--count", "3"), "ping hue (dev0) -> cloud");
            Assert.That(_testbed.Probe("cloud", "http", "http://192.0.2.10/description.xml", "--expect-status", "200"), "HTTP cloud -> hue (dev0)");
        });

        // The sensor's MAC is learned on dev1: 40 pings to it add (almost) nothing to what dev0 puts on the IoT LAN.
        var lanBefore = _testbed.RxPackets("lan", "app");
        var sensorBefore = _testbed.RxPackets("sensor", "eth0");
        Assert.That(_testbed.Probe("cloud", "ping", "192.0.2.14", "--count", "40"), "ping cloud -> sensor (dev1)");
        var toLan = _testbed.RxPackets("lan", "app") - lanBefore;
        var toSensor = _testbed.RxPackets("sensor", "eth0") - sensorBefore;
        Assert.That(toSensor, Is.GreaterThanOrEqualTo(40), "every echo request reached the sensor's port");
        Assert.That(toLan, Is.LessThan(5), "unicast to the sensor is not flooded onto dev0 (only broadcasts may be)");

        var result = appliance.Stop();
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Contain("dev0").And.Contain("dev1").And.Contain("up0"));
    }

    [Test]
    public void A_blocked_device_on_one_port_is_cut_off_while_the_other_port_keeps_working()
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, Config(sensorChain: "block-all"));

        Assert.Multiple(() =>
        {
            Assert.That(_testbed.Probe("sensor", "ping", "192.0.2.100", "--count", "2", "--expect-fail"), "the sensor's chain drops everything");
            Assert.That(_testbed.Probe("cloud", "ping", "192.0.2.14", "--count", "2", "--expect-fail"), "nothing reaches the sensor either");
            Assert.That(_testbed.Probe("cam", "ping", "192.0.2.100", "--count", "2"), "dev0's devices are unaffected");
        });

        Assert.That(appliance.Stop().ExitCode, Is.Zero);
    }

    private string Config(string sensorChain)
    {
        var yaml = new StringBuilder()
            .AppendLine($"umboxes: {Path.Combine(RepoPaths.Root, "umboxes")}")
            .AppendLine("unknown-devices: drop")
            .AppendLine("interfaces: {devices: [dev0, dev1], uplink: up0}")
            .AppendLine("management: {listen: \"127.0.0.1:0\"}")
            .AppendLine("devices:");
        foreach (var d in _testbed.Devices)
        {
            yaml.AppendLine($"  - {{name: {d.Name}, mac: \"{d.Mac}\", ip: {d.Ip}, chain: pass}}");
        }

        yaml.AppendLine($"  - {{name: {_sensor.Name}, mac: \"{_sensor.Mac}\", ip: {_sensor.Ip}, chain: {sensorChain}}}");
        var path = Path.Combine(_configs.Dir, $"site-{sensorChain}.yaml");
        File.WriteAllText(path, yaml.ToString());
        return path;
    }
}
