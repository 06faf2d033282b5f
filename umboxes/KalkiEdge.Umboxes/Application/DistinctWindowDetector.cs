using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// "At least <c>threshold</c> distinct values (e.g. API tokens) from one source within <c>window</c>"
/// (sliding, frame time), for a bounded number of sources. Each source keeps only its <c>threshold</c> most
/// recently used distinct values — enough to decide exactly, since if that many distinct values were used in
/// the window, the most recent ones all were. Values are compared by a per-process randomized hash, so an
/// attacker cannot craft distinct values that collide. Requests that find their source over the threshold are
/// occurrences, aggregated into one alert per source per window (<see cref="AlertAggregator"/>).
/// </summary>
internal sealed class DistinctWindowDetector
{
    private readonly SetAssociativeTable<UInt128, AlertAggregator> _table;
    private readonly int _threshold;
    private readonly long _windowMicros;

    public DistinctWindowDetector(int threshold, long windowMicros, int capacity)
    {
        _threshold = threshold;
        _windowMicros = windowMicros;

        // Per source, in the entry's extra storage: the values' hashes, then the times they were last used.
        _table = new SetAssociativeTable<UInt128, AlertAggregator>(TableHash.Address, capacity, windowMicros, 2 * threshold);
    }

    public long Evictions => _table.Evictions;

    public int Capacity => _table.Capacity;

    public Detection Record(UInt128 source, ReadOnlySpan<byte> value, long now)
    {
        int slot = _table.Acquire(source, now, out bool created);
        var extra = _table.Extra(slot);
        var hashes = extra[.._threshold];
        var lastUsed = extra[_threshold..];
        if (created)
        {
            lastUsed.Fill(long.MinValue); // unused
        }

        var hasher = new HashCode();
        hasher.AddBytes(value);
        long h = hasher.ToHashCode();

        // Refresh the value if known, else replace the least recently used one; count those within the window.
        int target = 0;
        for (int i = 0; i < _threshold; i++)
        {
            if (lastUsed[i] != long.MinValue && hashes[i] == h)
            {
                target = i;
                break;
            }

            if (lastUsed[i] < lastUsed[target])
            {
                target = i;
            }
        }

        hashes[target] = h;
        lastUsed[target] = now;
        int within = 0;
        foreach (var used in lastUsed)
        {
            if (used != long.MinValue && now - used < _windowMicros)
            {
                within++;
            }
        }

        bool over = within >= _threshold;
        int count = over ? _table[slot].Occurred(now, _windowMicros) : 0;
        return new Detection(slot, over, count);
    }
}
