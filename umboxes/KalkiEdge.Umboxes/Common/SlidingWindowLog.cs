namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// Exact sliding window for "at least N events within T" (brute force: 5 SYNs in 10 s; login attempts): the times
/// of a key's last N events in a ring kept in caller-owned storage (a table entry's extra longs, see
/// <see cref="Longs"/>: one long of bookkeeping, then N times). Memory per key is N timestamps whatever the event
/// rate, nothing is allocated per event, and an attacker cannot hide a burst by straddling a bucket boundary.
/// </summary>
public static class SlidingWindowLog
{
    /// <summary>Longs of storage a ring of <paramref name="depth"/> events needs.</summary>
    public static int Longs(int depth) => depth + 1;

    /// <summary>
    /// Records an event at <paramref name="now"/>; true when it and the depth − 1 events before it all lie within
    /// <paramref name="windowMicros"/> (the span from the oldest to now is shorter than the window).
    /// </summary>
    public static bool AddAndCheck(Span<long> ring, long now, long windowMicros)
    {
        int depth = ring.Length - 1;
        var (next, filled) = Unpack(ring[0]);
        ring[1 + next] = now;
        next = next + 1 == depth ? 0 : next + 1;
        filled = Math.Min(filled + 1, depth);
        ring[0] = ((long)filled << 32) | (uint)next;
        return FullWithin(ring, now, windowMicros);
    }

    /// <summary>True when the last depth events all lie within the window ending now.</summary>
    public static bool FullWithin(ReadOnlySpan<long> ring, long now, long windowMicros)
    {
        var (next, filled) = Unpack(ring[0]);

        // When full, "next" points at the oldest of the last depth events.
        return filled == ring.Length - 1 && now - ring[1 + next] < windowMicros;
    }

    /// <summary>How many events the ring remembers (at most its depth).</summary>
    public static int Remembered(ReadOnlySpan<long> ring) => Unpack(ring[0]).Filled;

    /// <summary>Forgets every event (the next detection needs a fresh burst).</summary>
    public static void Reset(Span<long> ring) => ring[0] = 0;

    private static (int Next, int Filled) Unpack(long bookkeeping) => ((int)(uint)bookkeeping, (int)(bookkeeping >> 32));
}
