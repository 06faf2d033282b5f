using System.Device.Gpio;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Panel.Button;

/// <summary>
/// The push-button on a GPIO line: every edge (re)starts a settle timer of the debounce time; when it fires, the
/// line's level is read and, if it differs from the last accepted one, becomes a press or a release. Contact
/// bounce and glitches shorter than the debounce time therefore never reach <see cref="ButtonGestures"/>.
/// </summary>
public sealed class PanelButton : IDisposable
{
    private readonly GpioController _gpio;
    private readonly ButtonSettings _settings;
    private readonly ButtonGestures _gestures;
    private readonly ITimer _settle;
    private readonly PinChangeEventHandler _onEdge;
    private readonly Lock _gate = new();
    private bool _pressed;

    public PanelButton(GpioController gpio, ButtonSettings settings, ButtonGestures gestures, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _gpio = gpio ?? throw new ArgumentNullException(nameof(gpio));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _gestures = gestures ?? throw new ArgumentNullException(nameof(gestures));
        _settle = time.CreateTimer(_ => Settle(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _gpio.OpenPin(settings.Pin, settings.Pull switch
        {
            GpioPull.Up => PinMode.InputPullUp,
            GpioPull.Down => PinMode.InputPullDown,
            _ => PinMode.Input,
        });
        // Held at start (the factory-reset hold begins at power-on): the press counts from now.
        _pressed = IsActive(_gpio.Read(settings.Pin));
        if (_pressed)
        {
            _gestures.Pressed();
        }

        _onEdge = (_, _) => _settle.Change(_settings.Debounce, Timeout.InfiniteTimeSpan);
        _gpio.RegisterCallbackForPinValueChangedEvent(settings.Pin, PinEventTypes.Rising | PinEventTypes.Falling, _onEdge);
    }

    public void Dispose()
    {
        _gpio.UnregisterCallbackForPinValueChangedEvent(_settings.Pin, _onEdge);
        _settle.Dispose();
        _gpio.ClosePin(_settings.Pin);
    }

    private bool IsActive(PinValue value) => (value == PinValue.Low) == _settings.ActiveLow;

    private void Settle()
    {
        bool pressed;
        lock (_gate)
        {
            pressed = IsActive(_gpio.Read(_settings.Pin));
            if (pressed == _pressed)
            {
                return;
            }

            _pressed = pressed;
        }

        if (pressed)
        {
            _gestures.Pressed();
        }
        else
        {
            _gestures.Released();
        }
    }
}
