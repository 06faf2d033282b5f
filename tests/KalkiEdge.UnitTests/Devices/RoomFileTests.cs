using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Onboard;
using KalkiEdge.Devices.Simulators;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// A BME280 given an environment-file is emulated in memory and senses the room that file describes, through
/// dotnet/iot's real binding; a bad file fails the measurement with what and where, as a chip that does not answer.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes are POSIX; the appliance is Linux-only
public sealed class RoomFileTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-room-file-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void The_emulated_chip_reads_the_room_the_file_gives_and_the_board_keeps_the_other_addresses()
    {
        var file = Write("room", "31.25 55 990.5\n");
        var board = new SimulatedHardware(new ThermalRoom(() => false));
        var hardware = new RoomFileHardware(board, [Bme280("fed", 0x77, file), Bme280("real", 0x76, null)]);

        using (var fed = new KalkiEdge.Devices.Bme280.Bme280Sensor(hardware.OpenI2c(1, 0x77)))
        {
            var values = fed.Read().ToDictionary(v => v.Quantity, v => (double)v.Value.AsDecimal);
            Assert.That((values["temperature"], values["humidity"], values["pressure"]), Is.EqualTo((31.25, 55.0, 990.5)).Using<(double, double, double)>((a, b) =>
                Math.Abs(a.Item1 - b.Item1) < 0.02 && Math.Abs(a.Item2 - b.Item2) < 0.1 && Math.Abs(a.Item3 - b.Item3) < 0.05));
            File.WriteAllText(file, "18");
            Assert.That((double)fed.Read().Single(v => v.Quantity == "temperature").Value.AsDecimal, Is.EqualTo(18).Within(0.02), "read again at every measurement");
        }

        _ = hardware.OpenI2c(1, 0x76);
        Assert.That(board.Chips, Has.Count.EqualTo(1), "the sensor without a file is the board's");
    }

    [TestCase("", "expected 'CELSIUS [HUMIDITY [HPA]]', got 0 fields")]
    [TestCase("1 2 3 4", "expected 'CELSIUS [HUMIDITY [HPA]]', got 4 fields")]
    [TestCase("hot", "temperature 'hot' is not a number from -40 to 85")]
    [TestCase("90", "temperature '90' is not a number from -40 to 85")]
    [TestCase("NaN", "temperature 'NaN' is not a number from -40 to 85")]
    [TestCase("20 140", "humidity '140' is not a number from 0 to 100")]
    [TestCase("20 40 5000", "pressure '5000' is not a number from 300 to 1100")]
    [TestCase("1e3", "temperature '1e3' is not a number from -40 to 85")]
    public void A_malformed_room_is_refused_with_what_is_wrong(string text, string error)
    {
        var file = Write("room", text);
        Assert.That(() => RoomFile.Read(file), Throws.InstanceOf<IOException>().With.Message.EqualTo($"room file {file}: {error}"));
    }

    [Test]
    public void A_huge_missing_or_world_writable_file_is_refused()
    {
        var huge = Write("huge", new string('1', 100_000));
        Assert.That(() => RoomFile.Read(huge), Throws.InstanceOf<IOException>().With.Message.EqualTo($"room file {huge}: over 256 bytes (one line 'CELSIUS [HUMIDITY [HPA]]' expected)"));
        var missing = Path.Combine(_dir, "absent");
        Assert.That(() => RoomFile.Read(missing), Throws.InstanceOf<IOException>().With.Message.Contains("no such regular file"));
        Assert.That(() => RoomFile.Read(_dir), Throws.InstanceOf<IOException>().With.Message.Contains("no such regular file"), "a directory");
        var open = Write("open", "20");
        File.SetUnixFileMode(open, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        Assert.That(() => RoomFile.Read(open), Throws.InstanceOf<IOException>().With.Message.EqualTo($"room file {open} is writable by every user, who could heat the room (chmod o-w)"));
    }

    [Test]
    public void A_bad_room_file_is_said_once_as_a_silent_sensor_and_read_again_once_fixed()
    {
        var file = Write("room", "21.5");
        using var h = new MonitorHarness("""
            type: room
            sampling: 60s
            sensors: {room-temp-c: decimal}
            chains: {Normal: open, Suspicious: open, Attack: open}
            """);
        h.Controller.Register(new KalkiEdge.DataPlane.DeviceSlot("plug", 0x020000000009UL, []), "room");
        h.Controller.Start();
        var log = new List<string>();
        var spec = Bme280("climate", 0x76, file) with { Device = "plug" };
        using var sensors = new OnboardSensors([new AttachedSensor(spec, ["plug"], 100_000)], new RoomFileHardware(new SimulatedHardware(new ThermalRoom(() => false)), [spec]), h.Controller.Telemetry, h.Clock, m => { lock (log) { log.Add(m); } });
        sensors.Start();
        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("plug", "room-temp-c") == EvValue.Of(21.5m)), Is.True);

        File.WriteAllText(file, "warm");
        Assert.That(MonitorHarness.Eventually(() => { lock (log) { return log.Count == 1; } }), Is.True);
        File.WriteAllText(file, "35");

        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("plug", "room-temp-c") == EvValue.Of(35m)), Is.True);
        lock (log)
        {
            Assert.That(log[0], Does.StartWith($"sensor climate: BME280 at 0x76 on I2C bus 1 does not answer (room file {file}: temperature 'warm' is not a number"));
            Assert.That(log[^1], Is.EqualTo("sensor climate: answering again"));
        }
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static OnboardSensorSpec Bme280(string name, int address, string? file) =>
        new(name, OnboardSensorKind.Bme280, [new OnboardReading("temperature", "room-temp-c", ValueKind.Decimal, SourceSpan.None("t"))], SourceSpan.None("t"))
        {
            Bus = 1,
            Address = address,
            EnvironmentFile = file,
        };
}
