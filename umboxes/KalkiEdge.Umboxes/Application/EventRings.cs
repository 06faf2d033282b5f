namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// The times of a source's last <c>depth</c> events, kept in a table entry's extra storage
/// (<see cref="SourceTable{T}.Extra"/>: one long of bookkeeping, then depth times). Answers "were there at
/// least depth events within the window?" exactly: a sliding window, not fixed buckets, so an attacker cannot
/// hide a burst by straddling a bucket boundary.
/// </summary>
internal static class EventRings
{
    /// <summary>Longs of extra storage an entry needs for a ring of <paramref name="depth"/> events.</summary>
    public static int Longs(int depth) => depth + 1;

    /// <summary>Records an event at <paramref name="now"/>; true when the last depth events all lie within the window.</summary>
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

    private static (int Next, int Filled) Unpack(long bookkeeping) => ((int)(uint)bookkeeping, (int)(bookkeeping >> 32));
}
