using System.Device.Gpio;
using System.Device.I2c;
using KalkiEdge.Devices.Onboard;

namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// The board's buses, except that a BME280 configured with an <c>environment-file</c> is an in-memory chip (the
/// real driver still runs on it) sensing the room that file gives. Lets a separately started appliance (the
/// namespace testbed, a bench) sense a room the test drives.
/// </summary>
public sealed class RoomFileHardware(IOnboardHardware board, IEnumerable<OnboardSensorSpec> sensors) : IOnboardHardware
{
    private readonly Dictionary<(int Bus, int Address), string> _files = sensors
        .Where(s => s is { Kind: OnboardSensorKind.Bme280, EnvironmentFile: not null })
        .ToDictionary(s => (s.Bus, s.Address), s => s.EnvironmentFile!);

    public I2cDevice OpenI2c(int bus, int address) => _files.TryGetValue((bus, address), out var file)
        ? new FakeBme280(() => RoomFile.Read(file), bus, address)
        : board.OpenI2c(bus, address);

    public GpioDriver OpenGpio(int chip) => board.OpenGpio(chip);
}
