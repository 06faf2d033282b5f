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
