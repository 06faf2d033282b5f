using System.Device.Gpio;
using KalkiEdge.DataPlane;
using System.Net.Http;
using System.Text;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Bme280;
using KalkiEdge.Devices.Onboard;
using KalkiEdge.Devices.Simulators;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// The appliance's own sensors on fakes at the hardware edge only: the BME280 driver (compensation
/// included) on an in-memory register file, System.Device.Gpio on an in-memory chip, and the real control plane.
/// </summary>
public sealed class OnboardSensorTests
{
    /// <summary>A heater plug in a room with the appliance's BME280 and a door contact.</summary>
    private const string HeatedRoom = """
        type: heated-room
        sampling: 60s
        sensors: {on: bool, power-w: decimal, today-kwh: decimal, room-temp-c: decimal, door-open: bool}
        commands: [turn-off, turn-on]
        alert-types: [overheat, door-opened]
        telemetry-alerts:
          - alert: overheat
            all: [{sensor: room-temp-c, last: 2, aggregate: average, op: ">", value: 30}]
          - alert: door-opened
            all: [{sensor: door-open, op: "==", value: true}]
        chains: {Normal: open, Suspicious: watched, Attack: closed}
        rules:
          - {name: overheat, from: [Normal, Suspicious], to: Attack, priority: 20, window: 1min, when: {alert: overheat}, commands: [{command: turn-off, to: self}]}
          - {name: door, from: Normal, to: Suspicious, priority: 10, window: 1min, when: {alert: door-opened}}
        """;

    [TestCase(23.45, 51.2, 1002.7)]
    [TestCase(-10.0, 90.0, 950.0)]
    [TestCase(60.0, 5.0, 1080.0)]
    public void The_bme280_driver_reads_back_the_room_the_in_memory_chip_senses(double celsius, double humidity, double hpa)
    {
        var chip = new FakeBme280(() => (celsius, humidity, hpa));
        using var sensor = new Bme280Sensor(chip);

        var values = sensor.Read().ToDictionary(v => v.Quantity, v => (double)v.Value.AsDecimal);

        Assert.That(values.Keys, Is.EquivalentTo(new[] { "temperature", "humidity", "pressure" }));
        Assert.That(values["temperature"], Is.EqualTo(celsius).Within(0.02));
        Assert.That(values["humidity"], Is.EqualTo(humidity).Within(0.1));
        Assert.That(values["pressure"], Is.EqualTo(hpa).Within(0.05));
        Assert.That(chip.Measurements, Is.GreaterThanOrEqualTo(1), "forced mode: the driver started a measurement");
    }

    [Test]
    public void A_chip_with_another_id_or_none_on_the_bus_is_refused_with_an_io_error()
    {
        var absent = new FakeBme280(() => (20, 40, 1000)) { Answering = false };
        Assert.That(() => new Bme280Sensor(absent), Throws.InstanceOf<IOException>().With.Message.Contains("0x76 on I2C bus 1"));
    }

    [Test]
    public void A_heater_switched_on_warms_the_room_past_its_limit_and_the_plug_is_turned_off_and_the_room_cools()
    {
        using var plug = new WemoSimulator(on: false, loadMilliwatts: SimulatedDevices.HeaterMilliwatts);
        var room = new ThermalRoom(() => plug.On, heatingCelsiusPerSecond: 4, tauSeconds: 10);
        var hardware = new SimulatedHardware(room);
        using var h = new MonitorHarness(HeatedRoom);
        h.Add("plug", "heated-room", $"{{family: wemo-insight, port: {plug.Port}}}", samplingMicros: 200_000);
        h.Start();
        var log = new List<string>();
        using var sensors = new OnboardSensors([Bme280In("plug", 200_000)], hardware, h.Controller.Telemetry, h.Clock, m => { lock (log) { log.Add(m); } });
        sensors.Start();
        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("plug", "room-temp-c") is { } t && t.AsDecimal < 22m), Is.True, "the room starts at ambient");

        SwitchOn(plug.Port);

        Assert.That(MonitorHarness.Eventually(() => h.AlertsOf("overheat").Length > 0, 20), Is.True, string.Join("\n", h.LogLines().Concat(log)));
        var overheat = h.AlertsOf("overheat")[0];
        Assert.That(overheat.Source, Is.EqualTo(AlertSource.Telemetry));
        Assert.That(MonitorHarness.Eventually(() => !plug.On), Is.True, "the rule's turn-off reached the plug through its monitor");
        Assert.That(h.Controller.Devices["plug"].State, Is.EqualTo("Attack"));
        Assert.That(h.EventuallyLogged("monitor plug: sent turn-off"), Is.True, string.Join("\n", h.LogLines()));
        var peak = h.Controller.Latest("plug", "room-temp-c")!.Value.AsDecimal;
        Assert.That(peak, Is.GreaterThan(30m));
        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("plug", "room-temp-c")!.Value.AsDecimal < peak - 1m, 10), Is.True, "the room cools once the heater is off");
        Assert.That(log, Is.Empty, "the sensor answered throughout");
    }

    [Test]
    public void A_door_contact_reports_its_opening_at_once_and_raises_the_packs_alert()
    {
        var hardware = new SimulatedHardware(new ThermalRoom(() => false));
        using var h = new MonitorHarness(HeatedRoom);
        h.Controller.Register(new KalkiEdge.DataPlane.DeviceSlot("room", 0x020000000009UL, []), "heated-room");
        h.Controller.Start();
        var door = new OnboardSensorSpec("hall-door", OnboardSensorKind.DigitalInput, [new OnboardReading("active", "door-open", ValueKind.Bool, SourceSpan.None("t"))], SourceSpan.None("t"))
        {
            Pin = 17,
            Pull = GpioPull.Up,
            ActiveLow = true,
            Device = "room",
        };
        // Read once a minute: only the edge can report the opening in time.
        using var sensors = new OnboardSensors([new AttachedSensor(door, ["room"], 60_000_000)], hardware, h.Controller.Telemetry, h.Clock, _ => { });
        sensors.Start();
        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("room", "door-open") == EvValue.Of(false)), Is.True, "closed (pulled up, active low) at the first reading");

        hardware.Gpio.Set(17, PinValue.Low);

        Assert.That(MonitorHarness.Eventually(() => h.AlertsOf("door-opened").Length == 1, 2), Is.True);
        Assert.That(MonitorHarness.Eventually(() => h.Controller.Devices["room"].State == "Suspicious", 2), Is.True);
        hardware.Gpio.Set(17, PinValue.High);
        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("room", "door-open") == EvValue.Of(false), 2), Is.True);
    }

    [Test]
    public void A_sensor_that_stops_answering_is_said_once_and_read_again_when_it_answers()
    {
        var hardware = new SimulatedHardware(new ThermalRoom(() => false));
        using var h = new MonitorHarness(HeatedRoom);
        h.Controller.Register(new KalkiEdge.DataPlane.DeviceSlot("room", 0x020000000009UL, []), "heated-room");
        h.Controller.Start();
        var log = new List<string>();
        using var sensors = new OnboardSensors([Bme280In("room", 100_000)], hardware, h.Controller.Telemetry, h.Clock, m => { lock (log) { log.Add(m); } });
        sensors.Start();
        Assert.That(MonitorHarness.Eventually(() => sensors.Readings >= 2), Is.True);

        hardware.Answering = false;
        Thread.Sleep(600); // several intervals of a silent chip
        var during = sensors.Readings;
        hardware.Answering = true;

        Assert.That(MonitorHarness.Eventually(() => sensors.Readings > during + 2), Is.True, "read again once it answers");
        lock (log)
        {
            Assert.That(log, Is.EqualTo(new[]
            {
                "sensor room-climate: BME280 at 0x76 on I2C bus 1 does not answer (no device answers at 0x76 on I2C bus 1); retrying every 100ms",
                "sensor room-climate: answering again",
            }));
        }
    }

    private static AttachedSensor Bme280In(string device, long intervalMicros) => new(
        new OnboardSensorSpec("room-climate", OnboardSensorKind.Bme280, [new OnboardReading("temperature", "room-temp-c", ValueKind.Decimal, SourceSpan.None("t"))], SourceSpan.None("t"))
        {
            Bus = 1,
            Address = 0x76,
            Device = device,
        },
        [device],
        intervalMicros);

    /// <summary>What the attacker sends: UPnP SetBinaryState 1 over HTTP, as on the wire.</summary>
    private static void SwitchOn(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/upnp/control/basicevent1")
        {
            Content = new StringContent("<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:SetBinaryState xmlns:u=\"urn:Belkin:service:basicevent:1\"><BinaryState>1</BinaryState></u:SetBinaryState></s:Body></s:Envelope>", Encoding.UTF8, "text/xml"),
        };
        request.Headers.TryAddWithoutValidation("SOAPACTION", "\"urn:Belkin:service:basicevent:1#SetBinaryState\"");
        using var response = http.Send(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
    }
}
