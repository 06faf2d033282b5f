using System.Device.Gpio;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Onboard;

namespace KalkiEdge.Devices.GpioInput;

/// <summary>
/// A digital input on a GPIO line (a PIR motion sensor, a door contact) through System.Device.Gpio: reads true
/// while the line is at its active level. Every change of level is also reported at once through
/// <see cref="Changed"/>, so a short PIR pulse between two readings is not missed.
/// </summary>
public sealed class DigitalInputSensor : IOnboardSensor
{
    private readonly GpioController _gpio;
    private readonly int _pin;
    private readonly bool _activeLow;

    /// <summary>Opens <paramref name="pin"/> of the chip behind <paramref name="driver"/> (taken over) as an input.</summary>
    public DigitalInputSensor(GpioDriver driver, int pin, GpioPull pull, bool activeLow)
    {
        _gpio = new GpioController(driver);
        _pin = pin;
        _activeLow = activeLow;
        try
        {
            _gpio.OpenPin(pin, pull switch
            {
                GpioPull.Up => PinMode.InputPullUp,
                GpioPull.Down => PinMode.InputPullDown,
                _ => PinMode.Input,
            });
            _gpio.RegisterCallbackForPinValueChangedEvent(pin, PinEventTypes.Rising | PinEventTypes.Falling, OnEdge);
        }
        catch
        {
            _gpio.Dispose();
            throw;
        }
    }

    /// <summary>The input became active (true) or idle (false); raised on the driver's thread.</summary>
    public event Action<bool>? Changed;

    public IReadOnlyList<(string Quantity, EvValue Value)> Read() => [("active", EvValue.Of(IsActive(_gpio.Read(_pin))))];

    public void Dispose()
    {
        _gpio.UnregisterCallbackForPinValueChangedEvent(_pin, OnEdge);
        _gpio.Dispose();
    }

    private bool IsActive(PinValue level) => (level == PinValue.Low) == _activeLow;

    private void OnEdge(object sender, PinValueChangedEventArgs e) =>
        Changed?.Invoke(IsActive(e.ChangeType == PinEventTypes.Rising ? PinValue.High : PinValue.Low));
}
