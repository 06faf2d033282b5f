using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// "At least <c>threshold</c> events from one source within <c>window</c>" (sliding, frame time), for a bounded
/// number of sources. Each event that finds its source over the threshold is an occurrence, aggregated into
/// alerts once per source per alert window (<see cref="AlertAggregator"/>).
/// Allocation-free per event. The table is made at the first event: most devices never see the traffic a
/// detector watches, and an element may hold several detectors.
/// </summary>
internal sealed class SlidingWindowDetector
{
    private readonly long _windowMicros;
    private readonly long _alertWindowMicros;
    private readonly int _threshold;
    private readonly int _capacity;
    private readonly long _holdMicros;
    private SetAssociativeTable<UInt128, SourceState>? _table;

    /// <param name="alertWindowMicros">Aggregation period of the alerts (often the detection window itself).</param>
    /// <param name="holdMicros">Extra time a source's state must survive idle (e.g. a block period).</param>
    public SlidingWindowDetector(int threshold, long windowMicros, long alertWindowMicros, int capacity, long holdMicros = 0)
    {
        _windowMicros = windowMicros;
        _alertWindowMicros = alertWindowMicros;
        _threshold = threshold;
        _capacity = capacity;
        _holdMicros = holdMicros;
    }

    public SetAssociativeTable<UInt128, SourceState> Table => _table ??= new(TableHash.Address, _capacity, Math.Max(Math.Max(_windowMicros, _alertWindowMicros), _holdMicros), SlidingWindowLog.Longs(_threshold));

    /// <summary>Sources displaced from the full table (0 before the first event).</summary>
    public long Evictions => _table?.Evictions ?? 0;

    public Detection Record(UInt128 source, long now)
    {
        int slot = Table.Acquire(source, now, out _);
        bool over = SlidingWindowLog.AddAndCheck(Table.Extra(slot), now, _windowMicros);
        int count = over ? Table[slot].Alerts.Occurred(now, _alertWindowMicros) : 0;
        return new Detection(slot, over, count);
    }

    /// <summary>True when <paramref name="source"/> is at or over the threshold now, without recording an event.</summary>
    public bool IsOver(UInt128 source, long now)
    {
        int slot = _table?.Find(source, now) ?? -1;
        return slot >= 0 && SlidingWindowLog.FullWithin(_table!.Extra(slot), now, _windowMicros);
    }

    /// <summary>True while <paramref name="source"/> is blocked (see <see cref="SourceState.BlockedUntil"/>).</summary>
    public bool IsBlocked(UInt128 source, long now)
    {
        int slot = _table?.Find(source, now) ?? -1;
        return slot >= 0 && now < _table![slot].BlockedUntil;
    }
}
