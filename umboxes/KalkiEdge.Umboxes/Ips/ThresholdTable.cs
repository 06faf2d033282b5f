namespace KalkiEdge.Umboxes.Ips;

/// <summary>What the threshold lets through for one match.</summary>
public enum ThresholdDecision : byte
{
    /// <summary>Raise the alert (and apply the rule's action).</summary>
    Alert,

    /// <summary>A match that is counted but not alerted; a drop rule still drops (Suricata does the same).</summary>
    Silent,
}

/// <summary>
/// Per-signature, per-tracked-address counters for <c>threshold</c>, with Suricata's semantics (one window per
/// entry, starting at the entry's first match and including first + seconds exactly; a later match starts a
/// new window):
/// <c>limit</c> alerts on the first N matches of the window; <c>threshold</c> on every Nth match (the count
/// restarts at each alert, the window does not); <c>both</c> once, on the Nth match.
/// Fixed capacity, 4-way set-associative; stale entries are reused first, else the oldest is evicted (counted).
/// </summary>
internal sealed class ThresholdTable
{
    private const int Ways = 4;
    private readonly Entry[] _entries;
    private readonly int _setMask;

    public ThresholdTable(int capacity)
    {
        int sets = (int)Math.Max(1, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, Ways)) / Ways);
        _entries = new Entry[sets * Ways];
        _setMask = sets - 1;
    }

    public long Evictions { get; private set; }

    public ThresholdDecision Check(long sid, ThresholdSpec spec, UInt128 key, long now)
    {
        int set = (int)(Hash(sid, key) & (uint)_setMask) * Ways;
        ref var e = ref Find(set, sid, key, spec.WindowMicros, now, out bool found);
        if (!found || now - e.WindowStart > spec.WindowMicros)
        {
            e = new Entry { InUse = true, Sid = sid, Key = key, WindowStart = now, Count = 1, WindowMicros = spec.WindowMicros };
            return spec.Type == ThresholdType.Limit || spec.Count == 1 ? ThresholdDecision.Alert : ThresholdDecision.Silent;
        }

        e.Count++;
        switch (spec.Type)
        {
            case ThresholdType.Limit:
                return e.Count <= spec.Count ? ThresholdDecision.Alert : ThresholdDecision.Silent;
            case ThresholdType.Threshold:
                if (e.Count >= spec.Count)
                {
                    e.Count = 0;
                    return ThresholdDecision.Alert;
                }

                return ThresholdDecision.Silent;
            default:
                return e.Count == spec.Count ? ThresholdDecision.Alert : ThresholdDecision.Silent;
        }
    }

    private ref Entry Find(int set, long sid, UInt128 key, long window, long now, out bool found)
    {
        int victim = set;
        long oldest = long.MaxValue;
        for (int i = set; i < set + Ways; i++)
        {
            ref var e = ref _entries[i];
            if (e.InUse && e.Sid == sid && e.Key == key)
            {
                found = true;
                return ref e;
            }

            long rank = !e.InUse || now - e.WindowStart > e.WindowMicros ? long.MinValue : e.WindowStart;
            if (rank < oldest)
            {
                oldest = rank;
                victim = i;
            }
        }

        found = false;
        if (oldest != long.MinValue)
        {
            Evictions++;
        }

        return ref _entries[victim];
    }

    private static uint Hash(long sid, UInt128 key)
    {
        ulong h = (ulong)key ^ ((ulong)(key >> 64) * 0x9E3779B97F4A7C15UL) ^ ((ulong)sid * 0xD6E8FEB86659FD93UL);
        h *= 0xBF58476D1CE4E5B9UL;
        return (uint)(h ^ (h >> 29));
    }

    private struct Entry
    {
        public bool InUse;
        public long Sid;
        public UInt128 Key;
        public long WindowStart;
        public long WindowMicros;
        public int Count;
    }
}
