using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Control;
using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Onboard;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>kalki.yaml's <c>sensors:</c>, checked like every other section: every error with its place, typos with a suggestion.</summary>
public sealed class OnboardSensorConfigTests
{
    private const string Devices = """
        devices:
          - {name: plug, mac: "02:00:00:00:00:01", ip: 192.0.2.10, type: wemo-insight}
          - {name: camera, mac: "02:00:00:00:00:02", ip: 192.0.2.11, type: dlink-camera}
          - {name: other, mac: "02:00:00:00:00:03", ip: 192.0.2.12, image: generic-normal}
        """;

    [Test]
    public void Sensors_attached_to_a_device_and_to_the_site_reach_the_devices_whose_packs_declare_them()
    {
        var errors = Compile("""
            sensors:
              - {name: room, kind: bme280, bus: 1, address: 0x77, attach: plug, interval: 2s, readings: {temperature: room-temp-c}}
              - {name: hall, kind: digital-input, pin: 17, pull: up, attach: site, readings: {active: motion}}
            """, out var sensors);

        Assert.That(errors, Is.Empty);
        Assert.That(sensors.Select(s => (s.Spec.Name, string.Join(",", s.Devices), s.IntervalMicros)), Is.EqualTo(new[]
        {
            ("room", "plug", 2_000_000L),
            ("hall", "camera", 30_000_000L), // the camera's pack declares motion (bool); its sampling interval
        }));
        Assert.That((sensors[0].Spec.Bus, sensors[0].Spec.Address), Is.EqualTo((1, 0x77)));
        Assert.That((sensors[1].Spec.Pin, sensors[1].Spec.Pull, sensors[1].Spec.ActiveLow), Is.EqualTo((17, GpioPull.Up, true)));
    }

    [Test]
    public void A_bme280_fed_from_a_room_file_needs_an_absolute_path()
    {
        var errors = Compile("""
            sensors:
              - {name: room, kind: bme280, address: 0x76, attach: plug, environment-file: /run/kalki-edge/room, readings: {temperature: room-temp-c}}
              - {name: hall, kind: bme280, address: 0x77, attach: plug, environment-file: room.txt, readings: {temperature: room-temp-c}}
            """, out var sensors);

        Assert.That(errors.Select(e => $"{e.Line}:{e.Column}: {e.Message}"), Is.EqualTo(new[] { "8:79: sensors: 'environment-file' must be an absolute path, got 'room.txt'" }));
        Assert.That(sensors[0].Spec.EnvironmentFile, Is.EqualTo("/run/kalki-edge/room"));
    }

    [Test]
    public void Every_sensor_error_has_its_line_and_column_and_typos_get_a_suggestion()
    {
        var errors = Compile("""
            sensors:
              - {name: a, kind: bme280, bus: 40, address: 0x42, attach: plug, readings: {temperature: room-temp-c}}
              - {name: b, kind: bme280, address: 0x76, attach: plgu, readings: {temprature: room-temp-c}}
              - {name: c, kind: bme280, address: 0x77, attach: plug, readings: {temperature: room-tmp-c}, colour: red}
              - {name: d, kind: digital-input, pin: 30, attach: camera, readings: {active: motion}}
              - {name: e, kind: digital-input, pin: 3, attach: camera, readings: {active: room-temp-c}}
              - {name: f, kind: digital-input, pin: 5, pull: up, active: high, attach: site, readings: {active: door-open}}
              - {name: g, kind: thermocouple, attach: plug}
              - {name: h, kind: bme280, address: 0x76, attach: other, readings: {temperature: t}}
              - {name: e, kind: digital-input, pin: 3, attach: camera, readings: {active: motion}}
            """, out _);

        var lines = errors.Select(e => $"{e.Line}:{e.Column}: {e.Message}").ToList();
        Assert.That(lines, Has.Some.EqualTo("7:34: sensors: 'bus' must be between 0 and 31, got 40"));
        Assert.That(lines, Has.Some.EqualTo("7:47: sensors: sensor 'a': a BME280 answers only at 0x76 (SDO to ground) or 0x77 (SDO to VDDIO), got '0x42'"));
        Assert.That(lines, Has.Some.EqualTo("8:52: sensors: sensor 'b': no device named 'plgu' (attach to a device of this site, or to 'site') (did you mean 'plug'?)"));
        Assert.That(lines, Has.Some.EqualTo("8:69: sensors: sensor 'b': a bme280 measures temperature, humidity, pressure, not 'temprature' (did you mean 'temperature'?)"));
        Assert.That(lines, Has.Some.EqualTo("9:82: sensors: sensor 'c': 'room-tmp-c' is not a sensor of pack 'wemo-insight' (it declares on, power-w, today-kwh, room-temp-c) (did you mean 'room-temp-c'?)"));
        Assert.That(lines, Has.Some.EqualTo("9:95: sensors: unknown argument 'colour'"));
        Assert.That(lines, Has.Some.EqualTo("10:41: sensors: sensor 'd': pin 30 is not a GPIO line on the 40-pin header (BCM 2–27; 0 and 1 belong to the HAT EEPROM)"));
        Assert.That(lines, Has.Some.EqualTo("11:41: sensors: sensor 'e': pin 3 is the I2C bus 1 SCL line a BME280 here uses"));
        Assert.That(lines, Has.Some.EqualTo("11:79: sensors: sensor 'e': 'room-temp-c' is not a sensor of pack 'dlink-camera' (it declares motion, firmware, uptime-s)"));
        Assert.That(lines, Has.Some.EqualTo("12:62: sensors: sensor 'f': pull: up with active: high holds the idle line at its active level (it would read as active from the start)"));
        Assert.That(lines, Has.Some.EqualTo("12:76: sensors: sensor 'f' is attached to the site, but no device's pack declares door-open (bool), so its readings would reach no alert condition"));
        Assert.That(lines, Has.Some.EqualTo("13:21: sensors: 'kind' must be one of bme280, digital-input, got 'thermocouple'"));
        Assert.That(lines, Has.Some.EqualTo("14:52: sensors: sensor 'h': device 'other' has no 'type', so no pack declares what its readings mean"));
        Assert.That(lines, Has.Some.EqualTo("14:5: sensors: b and h are both at address 0x76 on I2C bus 1"));
        Assert.That(lines, Has.Some.EqualTo("15:5: sensors: sensor name 'e' is used 2 times"));
        Assert.That(lines, Has.None.Contains("sensor 'a'").And.Contains("address 0x76"), "a refused address is compared with no other sensor");
        Assert.That(errors.Where(e => e.Message.Contains("did you mean", StringComparison.Ordinal)).Select(e => e.Suggestion), Has.All.Not.Null);
    }

    [Test]
    public void A_sensors_section_that_is_not_a_list_or_too_long_is_refused()
    {
        Assert.That(Compile("sensors: {name: a}", out _).Select(e => e.Message), Has.Some.StartsWith("sensors: expected a list of sensors"));
        var many = string.Join("\n", Enumerable.Range(0, OnboardSensorSettings.MaxSensors + 1).Select(i => $"  - {{name: s{i}, kind: digital-input, pin: {2 + (i % 26)}, attach: camera, readings: {{active: motion}}}}"));
        Assert.That(Compile("sensors:\n" + many, out _).Select(e => e.Message), Has.Some.EqualTo($"sensors: at most {OnboardSensorSettings.MaxSensors} sensors, got {OnboardSensorSettings.MaxSensors + 1}"));
    }

    [Test]
    public void A_digital_input_on_the_panel_buttons_line_is_refused()
    {
        var errors = Compile("""
            panel: {button: {pin: 17}}
            sensors:
              - {name: hall, kind: digital-input, pin: 17, attach: camera, readings: {active: motion}}
            """, out _);

        Assert.That(errors.Select(e => $"{e.Line}: {e.Message}"), Has.Some.EqualTo("8: sensors: sensor 'hall': pin 17 of chip 0 is the panel's button line"));
    }

    private static IReadOnlyList<Diagnostic> Compile(string sensors, out IReadOnlyList<AttachedSensor> attached)
    {
        var diagnostics = new DiagnosticBag();
        var yaml = "unknown-devices: drop\n" + Devices + "\n" + sensors;
        var site = SiteConfigLoader.FromNode(YamlArgs.Parse(yaml, "site.yaml", diagnostics)!, "site.yaml", diagnostics)!;
        var packs = PackLoader.LoadDirectory(Path.Combine(RepoPaths.Umboxes, "packs"), diagnostics);
        Assert.That(diagnostics.Items, Is.Empty, "the site and packs themselves are valid");
        attached = SensorWiring.Compile(site, packs, diagnostics);
        return diagnostics.Items;
    }
}
