namespace KalkiEdge.Panel.Pairing;

/// <summary>
/// When new devices may join: opened by a short press, extended by another, cancelled by a long hold. Times are
/// microseconds since the Unix epoch (the frames' clock), so replay opens windows at capture times.
/// Thread-safe: the button thread opens it while capture threads ask whether it is open.
/// </summary>
public sealed class PairingWindow(TimeSpan length)
{
    // Extending never keeps the door open for more than this many lengths from now.
    private const int MaxExtensions = 4;

    private readonly Lock _gate = new();
    private readonly long _lengthMicros = (long)length.TotalMicroseconds;
    private long _closesAt = long.MinValue;
    private long _openedAt = long.MinValue;

    public TimeSpan Length => length;

    /// <summary>When the current (or last) window opened; a new opening starts a new candidate budget.</summary>
    public long OpenedAtMicros => Volatile.Read(ref _openedAt);

    public bool IsOpen(long nowMicros) => nowMicros < Volatile.Read(ref _closesAt) && nowMicros >= Volatile.Read(ref _openedAt);

    /// <summary>Seconds left (rounded up), 0 when closed.</summary>
    public int RemainingSeconds(long nowMicros) =>
        IsOpen(nowMicros) ? (int)((Volatile.Read(ref _closesAt) - nowMicros + 999_999) / 1_000_000) : 0;

    /// <summary>Opens a window, or extends the open one by its length (at most a few lengths ahead of now).</summary>
    public void OpenOrExtend(long nowMicros)
    {
        lock (_gate)
        {
            if (IsOpen(nowMicros))
            {
                Volatile.Write(ref _closesAt, Math.Min(_closesAt + _lengthMicros, nowMicros + (MaxExtensions * _lengthMicros)));
                return;
            }

            Volatile.Write(ref _openedAt, nowMicros);
            Volatile.Write(ref _closesAt, nowMicros + _lengthMicros);
        }
    }

    public void Close(long nowMicros)
    {
        lock (_gate)
        {
            Volatile.Write(ref _closesAt, Math.Min(Volatile.Read(ref _closesAt), nowMicros));
        }
    }
}
