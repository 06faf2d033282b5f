namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// A bounded table of per-address state (e.g. per attacking source), with optional fixed-size per-entry storage
/// of longs (<see cref="Extra"/>, e.g. event times). Set-associative: an address can live only in the
/// <see cref="Ways"/> slots after its hash, so a lookup costs at most that many probes whatever the load.
/// Storage is allocated at the first entry and then doubles on demand up to the capacity (most element
/// instances never see the traffic they watch, and a device that talks to three hosts does not pay for
/// thousands; growth is the only allocation, and happens only when an entry is created). An entry
/// idle for longer than the horizon is free for reuse; at full capacity the least recently seen candidate is
/// evicted (and counted), so a flood of distinct (spoofed) sources can displace state but never grow memory.
/// </summary>
internal sealed class SourceTable<T>
    where T : struct
{
    public const int Ways = 8;
    private const int InitialSlots = 4;

    private readonly int _maxSlots;
    private readonly int _extraPerSlot;
    private readonly long _idleMicros;
    private UInt128[] _keys;
    private long[] _lastSeen;
    private bool[] _used;
    private T[] _values;
    private long[] _extra;
    private int _mask;

    /// <param name="capacity">Maximum entries (rounded up to a power of two, at least <see cref="Ways"/>).</param>
    /// <param name="idleMicros">An entry not touched for longer than this is treated as gone.</param>
    /// <param name="extraPerSlot">Longs of per-entry storage kept beside the value (zeroed for new entries).</param>
    public SourceTable(int capacity, long idleMicros, int extraPerSlot = 0)
    {
        _maxSlots = (int)Math.Max(Ways, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity));
        _extraPerSlot = extraPerSlot;
        _idleMicros = idleMicros;

        // Empty until the first entry: 10,000 devices each carry several of these tables, mostly unused.
        _keys = [];
        _lastSeen = [];
        _used = [];
        _values = [];
        _extra = [];
    }

    /// <summary>The most entries the table will ever hold.</summary>
    public int Capacity => _maxSlots;

    /// <summary>Slots allocated so far: 0 before the first entry, then doubling up to <see cref="Capacity"/>.</summary>
    public int Size => _keys.Length;

    /// <summary>Live entries displaced to make room for new ones (idle entries reused are not counted).</summary>
    public long Evictions { get; private set; }

    public ref T this[int slot] => ref _values[slot];

    /// <summary>The entry's extra storage (valid until the next <see cref="Acquire"/>, which may grow the table).</summary>
    public Span<long> Extra(int slot) => _extra.AsSpan(slot * _extraPerSlot, _extraPerSlot);

    /// <summary>The slot holding a live entry for <paramref name="key"/>, or -1. Does not refresh it.</summary>
    public int Find(UInt128 key, long now)
    {
        if (_keys.Length == 0)
        {
            return -1;
        }

        int start = Start(key, _mask);
        for (int i = 0; i < Ways; i++)
        {
            int s = (start + i) & _mask;
            if (_used[s] && _keys[s] == key)
            {
                return IsIdle(s, now) ? -1 : s;
            }
        }

        return -1;
    }

    /// <summary>
    /// The slot for <paramref name="key"/>, creating it (default value, zeroed extra storage) if needed, and
    /// marks it seen now. <paramref name="created"/> tells the caller the entry starts afresh.
    /// </summary>
    public int Acquire(UInt128 key, long now, out bool created)
    {
        if (_keys.Length == 0)
        {
            Grow(now);
        }

        while (true)
        {
            int start = Start(key, _mask);
            int free = -1;
            int oldest = -1;
            for (int i = 0; i < Ways; i++)
            {
                int s = (start + i) & _mask;
                if (_used[s] && _keys[s] == key)
                {
                    created = IsIdle(s, now);
                    if (created)
                    {
                        Clear(s);
                    }

                    _lastSeen[s] = now;
                    return s;
                }

                if (!_used[s] || IsIdle(s, now))
                {
                    free = free < 0 ? s : free;
                }
                else if (oldest < 0 || _lastSeen[s] < _lastSeen[oldest])
                {
                    oldest = s;
                }
            }

            if (free < 0 && _keys.Length < _maxSlots)
            {
                Grow(now);
                continue;
            }

            int slot = free;
            if (slot < 0)
            {
                slot = oldest;
                Evictions++;
            }

            _used[slot] = true;
            _keys[slot] = key;
            _lastSeen[slot] = now;
            Clear(slot);
            created = true;
            return slot;
        }
    }

    private void Clear(int slot)
    {
        _values[slot] = default;
        Extra(slot).Clear();
    }

    /// <summary>Allocates the first slots, or doubles the storage and re-places the live entries (idle ones are dropped on the way).</summary>
    private void Grow(long now)
    {
        var (keys, lastSeen, used, values, extra) = (_keys, _lastSeen, _used, _values, _extra);
        int size = Math.Min(_maxSlots, Math.Max(InitialSlots, keys.Length * 2));
        _keys = new UInt128[size];
        _lastSeen = new long[size];
        _used = new bool[size];
        _values = new T[size];
        _extra = new long[size * _extraPerSlot];
        _mask = size - 1;
        for (int old = 0; old < keys.Length; old++)
        {
            if (!used[old] || now - lastSeen[old] > _idleMicros)
            {
                continue;
            }

            int slot = FreeSlotFor(keys[old]);
            if (slot < 0)
            {
                Evictions++; // a pathological cluster even at double size: the entry is lost, and counted
                continue;
            }

            _used[slot] = true;
            _keys[slot] = keys[old];
            _lastSeen[slot] = lastSeen[old];
            _values[slot] = values[old];
            extra.AsSpan(old * _extraPerSlot, _extraPerSlot).CopyTo(Extra(slot));
        }
    }

    private int FreeSlotFor(UInt128 key)
    {
        int start = Start(key, _mask);
        for (int i = 0; i < Ways; i++)
        {
            int s = (start + i) & _mask;
            if (!_used[s])
            {
                return s;
            }
        }

        return -1;
    }

    private bool IsIdle(int slot, long now) => now - _lastSeen[slot] > _idleMicros;

    private static int Start(UInt128 key, int mask)
    {
        // Fold the 128 bits and mix them (Fibonacci hashing) so neighbouring addresses spread over the table.
        ulong folded = (ulong)key ^ (ulong)(key >> 64);
        return (int)((folded * 0x9E37_79B9_7F4A_7C15UL) >> 32) & mask;
    }
}
