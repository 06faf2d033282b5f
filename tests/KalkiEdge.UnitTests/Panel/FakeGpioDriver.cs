using System.Device.Gpio;
using Microsoft.Extensions.Time.Testing;

namespace KalkiEdge.UnitTests.Panel;

/// <summary>
/// A GPIO chip in memory, as dotnet/iot's own tests fake one: a test sets a line's level and the driver raises the
/// edge to the registered callbacks, synchronously, on the test's thread. Pull-ups and pull-downs set the idle level.
/// </summary>
internal sealed class FakeGpioDriver : GpioDriver
{
    private readonly Dictionary<int, PinValue> _levels = [];
    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly List<(int Pin, PinEventTypes Types, PinChangeEventHandler Handler)> _callbacks = [];

    public int Edges { get; private set; }

    /// <summary>Drives the line (the button closing or opening); raises the edge if the level changes.</summary>
    public void Set(int pin, PinValue level)
    {
        var old = _levels.GetValueOrDefault(pin, PinValue.Low);
        _levels[pin] = level;
        if (old == level)
        {
            return;
        }

        Edges++;
        var type = level == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
        foreach (var (p, types, handler) in _callbacks.ToList())
        {
            if (p == pin && (types & type) != 0)
            {
                handler(this, new PinValueChangedEventArgs(type, pin));
            }
        }
    }

    public bool IsOpen(int pin) => _modes.ContainsKey(pin);

    public int Callbacks => _callbacks.Count;

    protected override int PinCount => 28;

    protected override void OpenPin(int pinNumber) => _modes[pinNumber] = PinMode.Input;

    protected override void ClosePin(int pinNumber) => _modes.Remove(pinNumber);

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        _modes[pinNumber] = mode;
        if (!_levels.ContainsKey(pinNumber))
        {
            _levels[pinNumber] = mode == PinMode.InputPullUp ? PinValue.High : PinValue.Low;
        }
    }

    protected override PinMode GetPinMode(int pinNumber) => _modes[pinNumber];

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber) => _levels.GetValueOrDefault(pinNumber, PinValue.Low);

    protected override void Write(int pinNumber, PinValue value) => Set(pinNumber, value);

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the panel never blocks on a line");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        _callbacks.Add((pinNumber, eventTypes, callback));

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        _callbacks.RemoveAll(c => c.Pin == pinNumber && c.Handler == callback);
}

/// <summary>Presses as a finger makes them on the fake chip and clock.</summary>
internal static class ButtonPresses
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Closes the contact for <paramref name="duration"/>, then opens it. The clock moves in two steps each way:
    /// FakeTimeProvider runs a timer's callback at the end of an Advance, so the debounce timer must fire before
    /// the hold's time passes, or the press would be stamped at its end.
    /// </summary>
    public static void Hold(FakeGpioDriver chip, FakeTimeProvider time, int pin, TimeSpan duration)
    {
        chip.Set(pin, PinValue.Low);
        time.Advance(Settle);
        time.Advance(duration - Settle);
        chip.Set(pin, PinValue.High);
        time.Advance(Settle);
    }
}
