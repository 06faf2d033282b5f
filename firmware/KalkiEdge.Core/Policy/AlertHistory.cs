namespace KalkiEdge.Core.Policy;

/// <summary>
/// One device's recent alerts of the types its rules can use, in bounded memory: a ring of (type, time, count,
/// sequence). When full, the oldest entry is forgotten and counted in <see cref="Evicted"/>; floods arrive already
/// aggregated (one alert with a count), so the ring holds time, not packets.
/// </summary>
public sealed class AlertHistory(int capacity = 256)
{
    private const int InitialEntries = 4;

    // Empty until the first alert, then doubles up to the capacity: most devices never see an alert, and 10,000
    // devices must not each pay for a ring up front.
    private Entry[] _ring = [];
    private int _next;
    private int _count;

    /// <summary>Sequence number of the most recent alert recorded (0 before any).</summary>
    public long Sequence { get; private set; }

    public long Evicted { get; private set; }

    public int Count => _count;

    public long Record(int type, long timeMicros, long count)
    {
        if (_count == _ring.Length && _ring.Length < capacity)
        {
            Grow();
        }

        if (_count == _ring.Length)
        {
            Evicted++;
        }
        else
        {
            _count++;
        }

        _ring[_next] = new Entry(type, timeMicros, count, ++Sequence);
        _next = (_next + 1) % _ring.Length;
        return Sequence;
    }

    /// <summary>
    /// Adds into <paramref name="counts"/> (indexed by type) the alert counts with time in (now − window, now] and
    /// sequence above <paramref name="afterSequence"/> (alerts a rule already acted on do not count again).
    /// </summary>
    public void CountInto(Span<long> counts, long nowMicros, long windowMicros, long afterSequence)
    {
        counts.Clear();
        for (int i = 0, at = _next; i < _count; i++)
        {
            at = at == 0 ? _ring.Length - 1 : at - 1;
            ref readonly var e = ref _ring[at];
            if (e.Sequence <= afterSequence)
            {
                break; // older entries have smaller sequences
            }

            if (e.TimeMicros > nowMicros - windowMicros && e.TimeMicros <= nowMicros)
            {
                counts[e.Type] += e.Count;
            }
        }
    }

    /// <summary>Allocates the first entries, or doubles the full ring, oldest entry first, so indexing stays a plain ring.</summary>
    private void Grow()
    {
        var larger = new Entry[Math.Min(capacity, Math.Max(InitialEntries, _ring.Length * 2))];
        for (int i = 0; i < _count; i++)
        {
            larger[i] = _ring[(_next + i) % _ring.Length];
        }

        _ring = larger;
        _next = _count;
    }

    public void Clear()
    {
        _count = 0;
        _next = 0;
    }

    private readonly record struct Entry(int Type, long TimeMicros, long Count, long Sequence);
}
