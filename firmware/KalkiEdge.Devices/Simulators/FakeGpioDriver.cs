using System.Device.Gpio;

namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// A GPIO chip in memory, as dotnet/iot's own tests fake one: whoever drives a line sets its level and the driver
/// raises the edge to the registered callbacks, synchronously, on the caller's thread. Pull-ups and pull-downs set the
/// idle level. The panel's tests press buttons on it; the simulation and the tests open the appliance's digital
/// inputs (door contact, PIR) on it, so the same <see cref="GpioController"/> code runs as on a board.
/// </summary>
public sealed class FakeGpioDriver : GpioDriver
{
    private readonly Lock _sync = new();
    private readonly Dictionary<int, PinValue> _levels = [];
    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly List<(int Pin, PinEventTypes Types, PinChangeEventHandler Handler)> _callbacks = [];

    public int Edges { get; private set; }

    /// <summary>Drives the line (a button closing, a door opening); raises the edge if the level changes.</summary>
    public void Set(int pin, PinValue level)
    {
        List<PinChangeEventHandler> handlers;
        PinEventTypes type;
        lock (_sync)
        {
            var old = _levels.GetValueOrDefault(pin, PinValue.Low);
            _levels[pin] = level;
            if (old == level)
            {
                return;
            }

            Edges++;
            type = level == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
            handlers = [.. _callbacks.Where(c => c.Pin == pin && (c.Types & type) != 0).Select(c => c.Handler)];
        }

        // Outside the lock: a handler may read the line.
        foreach (var handler in handlers)
        {
            handler(this, new PinValueChangedEventArgs(type, pin));
        }
    }

    public bool IsOpen(int pin)
    {
        lock (_sync)
        {
            return _modes.ContainsKey(pin);
        }
    }

    public int Callbacks
    {
        get
        {
            lock (_sync)
            {
                return _callbacks.Count;
            }
        }
    }

    protected override int PinCount => 28;

    protected override void OpenPin(int pinNumber)
    {
        lock (_sync)
        {
            _modes[pinNumber] = PinMode.Input;
        }
    }

    protected override void ClosePin(int pinNumber)
    {
        lock (_sync)
        {
            _modes.Remove(pinNumber);
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_sync)
        {
            _modes[pinNumber] = mode;
            if (!_levels.ContainsKey(pinNumber))
            {
                _levels[pinNumber] = mode == PinMode.InputPullUp ? PinValue.High : PinValue.Low;
            }
        }
    }

    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_sync)
        {
            return _modes[pinNumber];
        }
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber)
    {
        lock (_sync)
        {
            return _levels.GetValueOrDefault(pinNumber, PinValue.Low);
        }
    }

    protected override void Write(int pinNumber, PinValue value) => Set(pinNumber, value);

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("nothing here blocks on a line");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_sync)
        {
            _callbacks.Add((pinNumber, eventTypes, callback));
        }
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_sync)
        {
            _callbacks.RemoveAll(c => c.Pin == pinNumber && c.Handler == callback);
        }
    }
}
