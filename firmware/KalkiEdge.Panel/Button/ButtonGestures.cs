namespace KalkiEdge.Panel.Button;

/// <summary>What a press of the panel's button means.</summary>
public enum ButtonGesture
{
    /// <summary>Short press: open the pairing window, or extend the open one.</summary>
    Pair,

    /// <summary>Held at least <see cref="ButtonGestures.CancelHold"/>: close the pairing window.</summary>
    CancelPairing,

    /// <summary>
    /// Held at least <see cref="ButtonGestures.ResetHold"/>, starting within <see cref="ButtonGestures.ResetWindowAfterPowerOn"/>
    /// of power-on: a factory reset waits for a confirming short press.
    /// </summary>
    FactoryResetArmed,

    /// <summary>The confirming short press, within <see cref="ButtonGestures.ConfirmWithin"/> of arming.</summary>
    FactoryReset,
}

/// <summary>
/// Turns debounced presses and releases into gestures, timed by a <see cref="TimeProvider"/> (a fake one in tests).
/// Thread-safe; <see cref="Gesture"/> fires on the caller's thread, outside the lock.
/// </summary>
public sealed class ButtonGestures
{
    public static readonly TimeSpan CancelHold = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan ResetHold = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan ResetWindowAfterPowerOn = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan ConfirmWithin = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly long _poweredOn;
    private readonly Lock _gate = new();
    private long? _pressedAt;
    private long? _armedAt;

    /// <param name="time">The clock; power-on is the moment this object is made (the appliance's start).</param>
    public ButtonGestures(TimeProvider time)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _poweredOn = time.GetTimestamp();
    }

    public event Action<ButtonGesture>? Gesture;

    /// <summary>True while a factory reset waits for its confirming press.</summary>
    public bool ResetArmed
    {
        get
        {
            lock (_gate)
            {
                return _armedAt is { } armed && _time.GetElapsedTime(armed) <= ConfirmWithin;
            }
        }
    }

    public void Pressed()
    {
        lock (_gate)
        {
            _pressedAt ??= _time.GetTimestamp();
        }
    }

    public void Released()
    {
        ButtonGesture gesture;
        lock (_gate)
        {
            if (_pressedAt is not { } pressedAt)
            {
                return; // a release without a press (the button was down at start)
            }

            _pressedAt = null;
            var held = _time.GetElapsedTime(pressedAt);
            var armed = _armedAt is { } a && _time.GetElapsedTime(a) <= ConfirmWithin;
            _armedAt = null;
            if (armed && held < CancelHold)
            {
                gesture = ButtonGesture.FactoryReset;
            }
            else if (held >= ResetHold && _time.GetElapsedTime(_poweredOn, pressedAt) <= ResetWindowAfterPowerOn)
            {
                _armedAt = _time.GetTimestamp();
                gesture = ButtonGesture.FactoryResetArmed;
            }
            else
            {
                gesture = held >= CancelHold ? ButtonGesture.CancelPairing : ButtonGesture.Pair;
            }
        }

        Gesture?.Invoke(gesture);
    }
}
