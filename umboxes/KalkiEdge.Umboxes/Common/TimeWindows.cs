namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// Counts events in fixed (tumbling) windows of frame time. A window opens at the first event after the
/// previous one closed and lasts exactly <c>windowMicros</c>, so limits have exact, testable boundaries:
/// with a limit of 5 per 1 s, events at t..t+999999µs share a window and the one at t+1s opens a new one.
/// A mutable struct meant to live inside a <see cref="BoundedTable{TKey, TValue}"/> value (update it by ref).
/// </summary>
public struct FixedWindowCounter
{
    private bool _open;

    /// <summary>Frame time at which the current window opened.</summary>
    public long WindowStart { get; private set; }

    /// <summary>Events counted in the current window.</summary>
    public long Count { get; private set; }

    /// <summary>Counts <paramref name="n"/> events at <paramref name="nowMicros"/>; returns the window's total.</summary>
    public long Add(long nowMicros, long windowMicros, long n = 1)
    {
        Roll(nowMicros, windowMicros);
        Count += n;
        return Count;
    }

    /// <summary>The current window's total without counting anything (0 if the window has closed).</summary>
    public long Peek(long nowMicros, long windowMicros) => IsCurrent(nowMicros, windowMicros) ? Count : 0;

    private readonly bool IsCurrent(long nowMicros, long windowMicros) =>
        _open && nowMicros >= WindowStart && nowMicros - WindowStart < windowMicros;

    private void Roll(long nowMicros, long windowMicros)
    {
        // A clock that steps backwards (a capture spliced from two files) also starts a fresh window.
        if (!IsCurrent(nowMicros, windowMicros))
        {
            _open = true;
            WindowStart = nowMicros;
            Count = 0;
        }
    }
}

/// <summary>
/// Exact sliding window for "at least N events within T" (e.g. brute-force: 5 SYNs in 10 s): remembers the
/// times of the last N events in a ring, so memory per key is N timestamps whatever the event rate. The
/// ring is allocated on first use (when a table entry is created), never per event.
/// </summary>
public struct SlidingWindowLog
{
    private long[]? _times;
    private int _next;
    private int _filled;

    /// <summary>
    /// Records an event and returns true when it and the <paramref name="threshold"/> − 1 events before it all
    /// happened within <paramref name="windowMicros"/> (i.e. threshold events in a window of that length).
    /// </summary>
    public bool AddAndCheck(long nowMicros, long windowMicros, int threshold)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        if (_times is null || _times.Length != threshold)
        {
            _times = new long[threshold];
            _next = _filled = 0;
        }

        _times[_next] = nowMicros;
        _next = (_next + 1) % threshold;
        if (_filled < threshold)
        {
            _filled++;
        }

        // After the write, _next points at the oldest of the last `threshold` events.
        return _filled == threshold && nowMicros - _times[_next] < windowMicros;
    }

    /// <summary>How many events are remembered (at most the threshold).</summary>
    public readonly int Remembered => _filled;

    /// <summary>Forgets every event (e.g. after an alert, so the next alert needs a fresh burst).</summary>
    public void Reset()
    {
        _next = 0;
        _filled = 0;
    }
}

/// <summary>
/// "Alert once per key per window, with a count" — the element-side twin of the platform's AlertThrottle.
/// Every occurrence calls <see cref="TryRaise"/>; the first one in a window raises, later ones in the same
/// window are only counted, and the next raised alert carries the number of occurrences it stands for
/// (itself plus those suppressed since the previous alert). Floods thus cost one alert object per window.
/// </summary>
public struct AlertGate
{
    private bool _raised;
    private long _lastRaised;
    private int _pending;

    /// <summary>Occurrences counted but not yet reported in an alert.</summary>
    public readonly int Pending => _pending;

    public bool TryRaise(long nowMicros, long windowMicros, out int count)
    {
        if (_pending < int.MaxValue)
        {
            _pending++;
        }

        if (_raised && nowMicros >= _lastRaised && nowMicros - _lastRaised < windowMicros)
        {
            count = 0;
            return false;
        }

        _raised = true;
        _lastRaised = nowMicros;
        count = _pending;
        _pending = 0;
        return true;
    }
}
