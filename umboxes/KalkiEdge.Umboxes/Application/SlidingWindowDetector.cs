using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// "At least <c>threshold</c> events from one source within <c>window</c>" (sliding, frame time), for a bounded
/// number of sources. Each event that finds its source over the threshold is an occurrence, aggregated into
/// alerts once per source per alert window (<see cref="AlertAggregator"/>).
/// Allocation-free per event.
/// </summary>
internal sealed class SlidingWindowDetector
{
    private readonly long _windowMicros;
    private readonly long _alertWindowMicros;

    /// <param name="alertWindowMicros">Aggregation period of the alerts (often the detection window itself).</param>
    /// <param name="holdMicros">Extra time a source's state must survive idle (e.g. a block period).</param>
    public SlidingWindowDetector(int threshold, long windowMicros, long alertWindowMicros, int capacity, long holdMicros = 0)
    {
        _windowMicros = windowMicros;
        _alertWindowMicros = alertWindowMicros;
        Table = new SetAssociativeTable<UInt128, SourceState>(TableHash.Address, capacity, Math.Max(Math.Max(windowMicros, alertWindowMicros), holdMicros), SlidingWindowLog.Longs(threshold));
    }

    public SetAssociativeTable<UInt128, SourceState> Table { get; }

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
        int slot = Table.Find(source, now);
        return slot >= 0 && SlidingWindowLog.FullWithin(Table.Extra(slot), now, _windowMicros);
    }

    /// <summary>True while <paramref name="source"/> is blocked (see <see cref="SourceState.BlockedUntil"/>).</summary>
    public bool IsBlocked(UInt128 source, long now)
    {
        int slot = Table.Find(source, now);
        return slot >= 0 && now < Table[slot].BlockedUntil;
    }
}
