namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// The appliance's one threshold state for <c>ips</c> rules, as Suricata keeps it: per signature id and tracked
/// address (<c>by_src</c>: the packet's source, <c>by_dst</c>: its destination, <c>by_rule</c>: the signature
/// alone), whichever device's element saw the match — eight cameras probed by one source count toward one
/// <c>by_src</c> threshold. One instance per element registry (one per appliance), shared by every <c>ips</c>
/// element it compiles; capture threads reach it concurrently, so every access takes its lock (matches with a
/// threshold are rare next to frames, and the work inside is a few probes). Bounded: the table holds at most
/// the largest <c>thresholds</c> capacity asked for before its first use, allocated then.
/// </summary>
public sealed class SharedThresholds
{
    private readonly Lock _lock = new();
    private ThresholdTable? _table;
    private int _capacity;

    /// <summary>Entries pushed out by newer ones because their set was full.</summary>
    public long Evictions
    {
        get
        {
            lock (_lock)
            {
                return _table?.Evictions ?? 0;
            }
        }
    }

    /// <summary>Capacity the table will be created with (fixed once the first match was checked).</summary>
    public int Capacity
    {
        get
        {
            lock (_lock)
            {
                return _capacity;
            }
        }
    }

    /// <summary>Asks for at least <paramref name="capacity"/> entries (an element's <c>thresholds</c> argument).</summary>
    public void Reserve(int capacity)
    {
        lock (_lock)
        {
            if (_table is null)
            {
                _capacity = Math.Max(_capacity, capacity);
            }
        }
    }

    public ThresholdDecision Check(long sid, ThresholdSpec spec, UInt128 key, long now)
    {
        lock (_lock)
        {
            return (_table ??= new ThresholdTable(Math.Max(_capacity, 4))).Check(sid, spec, key, now);
        }
    }
}
