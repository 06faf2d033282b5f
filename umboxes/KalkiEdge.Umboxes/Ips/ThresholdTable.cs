using KalkiEdge.Umboxes.Common;

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
/// Fixed capacity, 4-way set-associative (<see cref="SetAssociativeTable{TKey, TValue}"/>): an entry lives until
/// its window ends; stale entries are reused first, else the least recently matched is evicted (counted).
/// </summary>
internal sealed class ThresholdTable
{
    private const int Ways = 4;
    private readonly SetAssociativeTable<Key, Entry> _entries;

    public ThresholdTable(int capacity)
    {
        _entries = new SetAssociativeTable<Key, Entry>(static k => k.Hash(), capacity, idleMicros: 0, ways: Ways, grow: false);
    }

    public long Evictions => _entries.Evictions;

    public ThresholdDecision Check(long sid, ThresholdSpec spec, UInt128 key, long now)
    {
        int slot = _entries.Acquire(new Key(sid, key), now, out bool created);
        ref var e = ref _entries[slot];
        if (created || now - e.WindowStart > spec.WindowMicros)
        {
            e = new Entry { WindowStart = now, Count = 1 };
            _entries.ExpireAt(slot, now + spec.WindowMicros);
            return spec.Type == ThresholdType.Limit || spec.Count == 1 ? ThresholdDecision.Alert : ThresholdDecision.Silent;
        }

        _entries.ExpireAt(slot, e.WindowStart + spec.WindowMicros);

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

    private readonly record struct Key(long Sid, UInt128 Address)
    {
        public ulong Hash()
        {
            ulong h = (ulong)Address ^ ((ulong)(Address >> 64) * 0x9E3779B97F4A7C15UL) ^ ((ulong)Sid * 0xD6E8FEB86659FD93UL);
            h *= 0xBF58476D1CE4E5B9UL;
            return h ^ (h >> 29);
        }
    }

    private struct Entry
    {
        public long WindowStart;
        public int Count;
    }
}
