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
    private readonly SourceTable<AlertAggregatorState> _table;
    private readonly int _threshold;
    private readonly long _windowMicros;
    private readonly int[] _hashes;
    private readonly long[] _lastUsed;

    public DistinctWindowDetector(int threshold, long windowMicros, int capacity)
    {
        _threshold = threshold;
        _windowMicros = windowMicros;
        _table = new SourceTable<AlertAggregatorState>(capacity, windowMicros);
        _hashes = new int[checked(_table.Capacity * threshold)];
        _lastUsed = new long[_hashes.Length];
    }

    public long Evictions => _table.Evictions;

    public int Capacity => _table.Capacity;

    public Detection Record(UInt128 source, ReadOnlySpan<byte> value, long now)
    {
        int slot = _table.Acquire(source, now, out bool created);
        int first = slot * _threshold;
        if (created)
        {
            _lastUsed.AsSpan(first, _threshold).Fill(long.MinValue);
        }

        var hash = new HashCode();
        hash.AddBytes(value);
        int h = hash.ToHashCode();

        // Refresh the value if known, else replace the least recently used one; count those within the window.
        int target = first;
        int within = 0;
        for (int i = first; i < first + _threshold; i++)
        {
            if (_lastUsed[i] != long.MinValue && _hashes[i] == h)
            {
                target = i;
                break;
            }

            if (_lastUsed[i] < _lastUsed[target])
            {
                target = i;
            }
        }

        _hashes[target] = h;
        _lastUsed[target] = now;
        for (int i = first; i < first + _threshold; i++)
        {
            if (_lastUsed[i] != long.MinValue && now - _lastUsed[i] < _windowMicros)
            {
                within++;
            }
        }

        bool over = within >= _threshold;
        int count = over ? AlertAggregator.Occurred(ref _table[slot], now, _windowMicros) : 0;
        return new Detection(slot, over, count);
    }
}
