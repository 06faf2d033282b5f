using System.Device.Gpio;
using System.Device.I2c;

namespace KalkiEdge.Devices.Onboard;

/// <summary>
/// The hardware edge of the appliance's own sensors: an I2C device on a bus, a GPIO chip. The board opens the
/// kernel's /dev/i2c-N and /dev/gpiochipN; the simulation and the tests hand over in-memory chips, and the same
/// drivers (the BME280's own, System.Device.Gpio's) run on them.
/// </summary>
public interface IOnboardHardware
{
    I2cDevice OpenI2c(int bus, int address);

    GpioDriver OpenGpio(int chip);
}

/// <summary>The Raspberry Pi's own buses: /dev/i2c-N and /dev/gpiochipN through libgpiod.</summary>
public sealed class BoardHardware : IOnboardHardware
{
    public I2cDevice OpenI2c(int bus, int address) => I2cDevice.Create(new I2cConnectionSettings(bus, address));

    public GpioDriver OpenGpio(int chip) => new System.Device.Gpio.Drivers.LibGpiodDriver(chip);
}
