using System.Device.Gpio;
using System.Device.I2c;
using KalkiEdge.Devices.Onboard;

namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// The appliance's buses in memory: every BME280 opened senses <see cref="Room"/> through a <see cref="FakeBme280"/>,
/// every GPIO chip is the one <see cref="Gpio"/> whose lines the scenario (or a test) drives.
/// </summary>
public sealed class SimulatedHardware(ThermalRoom room) : IOnboardHardware
{
    public ThermalRoom Room { get; } = room;

    public FakeGpioDriver Gpio { get; } = new();

    /// <summary>The chips opened so far (a chip is reopened after it failed).</summary>
    public List<FakeBme280> Chips { get; } = [];

    /// <summary>False: every BME280, open or opened later, stops answering on the bus (unplugged).</summary>
    public bool Answering
    {
        get => _answering;
        set
        {
            lock (Chips)
            {
                _answering = value;
                Chips.ForEach(c => c.Answering = value);
            }
        }
    }

    private volatile bool _answering = true;

    public I2cDevice OpenI2c(int bus, int address)
    {
        lock (Chips)
        {
            var chip = new FakeBme280(Room.Now, bus, address) { Answering = _answering };
            Chips.Add(chip);
            return chip;
        }
    }

    public GpioDriver OpenGpio(int chip) => Gpio;
}
