using KalkiEdge.Appliance.Control;
using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Devices.Simulators;
using KalkiEdge.UnitTests.Registry;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// A sensor attached to the site reports to devices added at run time whose pack declares its readings, from the
/// moment they are added until they are deleted; devices of other packs never get its readings.
/// </summary>
public sealed class RuntimeSensorTests
{
    private const string SiteSensor = """
          - {name: plug1, mac: "02:00:00:00:07:02", ip: 192.0.2.72, type: wemo-insight}
        sensors:
          - {name: room-climate, kind: bme280, bus: 1, address: 0x76, attach: site, interval: 100ms, readings: {temperature: room-temp-c}}

        """;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-runtime-sensor-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void A_site_sensor_reports_to_a_device_added_at_run_time_until_it_is_deleted()
    {
        using var site = new RegistrySite(_dir, SiteSensor);
        var appliance = site.Appliance;
        appliance.Control.Start();
        var log = new List<string>();
        var hardware = new SimulatedHardware(new ThermalRoom(() => false));
        using var sensors = SensorWiring.Start(appliance, hardware, appliance.Control.Telemetry, m => { lock (log) { log.Add(m); } })!;
        Assert.That(MonitorHarness.Eventually(() => appliance.Control.Latest("plug1", "room-temp-c") is not null, 30), Is.True, "the config's device gets the readings");

        Assert.That(appliance.Registry.Add(new DeviceSpec("plug2", "02:00:00:00:07:03", ["192.0.2.73"]) { Type = "wemo-insight" }, "alice").Succeeded);
        Assert.That(appliance.Registry.Add(new DeviceSpec("cam2", "02:00:00:00:07:04", ["192.0.2.74"]) { Type = "dlink-camera" }, "alice").Succeeded);

        Assert.That(MonitorHarness.Eventually(() => appliance.Control.Latest("plug2", "room-temp-c") is { } t && t.AsDecimal is > 15m and < 30m, 30), Is.True, string.Join("\n", log));
        lock (log)
        {
            Assert.That(log, Has.One.EqualTo("onboard sensors: room-climate -> plug2 (added at run time)"));
            Assert.That(log.Where(l => l.Contains("cam2", StringComparison.Ordinal)), Is.Empty, "a camera's pack declares no room temperature");
        }

        Assert.That(sensors.Sensors.ReportsTo("room-climate"), Is.EqualTo(new[] { "plug1", "plug2" }));

        Assert.That(appliance.Registry.Remove("plug2", "alice").Succeeded);
        Assert.That(sensors.Sensors.ReportsTo("room-climate"), Is.EqualTo(new[] { "plug1" }), "deleted: no more readings");
        Assert.That(appliance.Registry.Add(new DeviceSpec("plug2", "02:00:00:00:07:03", ["192.0.2.73"]) { Type = "generic-iot" }, "alice").Succeeded);
        Assert.That(sensors.Sensors.ReportsTo("room-climate"), Is.EqualTo(new[] { "plug1" }), "re-added under a pack without room temperature");
        var renamed = appliance.Registry.Update("plug2", new DeviceSpec("plug3", "02:00:00:00:07:03", ["192.0.2.73"]) { Type = "wemo-insight" }, "alice");
        Assert.That(renamed.Succeeded, string.Join("; ", renamed.Errors.Select(e => e.Message)));
        Assert.That(sensors.Sensors.ReportsTo("room-climate"), Is.EqualTo(new[] { "plug1", "plug3" }), "edited into a heater plug under a new name");
        Assert.That(MonitorHarness.Eventually(() => appliance.Control.Latest("plug3", "room-temp-c") is not null, 30), Is.True, string.Join("\n", log));
    }
}
