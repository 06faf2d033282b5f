namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// "At least <c>threshold</c> events from one source within <c>window</c>" (sliding, frame time), for a bounded
/// number of sources, with alerts aggregated once per source per window (<see cref="AlertGate"/>).
/// Allocation-free per event.
/// </summary>
internal sealed class SlidingWindowDetector
{
    private readonly EventRings _rings;
    private readonly int _threshold;
    private readonly long _windowMicros;

    /// <param name="holdMicros">Extra time a source's state must survive idle (e.g. a block period).</param>
    public SlidingWindowDetector(int threshold, long windowMicros, int capacity, long holdMicros = 0)
    {
        _threshold = threshold;
        _windowMicros = windowMicros;
        Table = new SourceTable<SourceState>(capacity, Math.Max(windowMicros, holdMicros));
        _rings = new EventRings(Table.Capacity, threshold);
    }

    public SourceTable<SourceState> Table { get; }

    public Detection Record(UInt128 source, long now)
    {
        int slot = Table.Acquire(source, now, out bool created);
        if (created)
        {
            _rings.Reset(slot);
        }

        bool over = _rings.AddAndCheck(slot, now, _windowMicros);
        int count = AlertGate.Account(ref Table[slot].Gate, over, now, _windowMicros, _threshold);
        return new Detection(slot, over, count);
    }

    /// <summary>True while <paramref name="source"/> is blocked (see <see cref="SourceState.BlockedUntil"/>).</summary>
    public bool IsBlocked(UInt128 source, long now)
    {
        int slot = Table.Find(source, now);
        return slot >= 0 && now < Table[slot].BlockedUntil;
    }
}
