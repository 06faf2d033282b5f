namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// A fixed-capacity table of per-address state (e.g. per attacking source), allocation-free after construction.
/// Set-associative: an address can live only in the <see cref="Ways"/> slots after its hash, so a lookup costs
/// at most that many probes whatever the load. An entry idle for longer than the horizon is free for reuse;
/// when all candidate slots are busy the least recently seen one is evicted (and counted), so a flood of
/// distinct (spoofed) sources can displace state but never grow memory.
/// </summary>
internal sealed class SourceTable<T>
    where T : struct
{
    public const int Ways = 8;

    private readonly UInt128[] _keys;
    private readonly long[] _lastSeen;
    private readonly bool[] _used;
    private readonly T[] _values;
    private readonly int _mask;
    private readonly long _idleMicros;

    /// <param name="capacity">Maximum entries (rounded up to a power of two, at least <see cref="Ways"/>).</param>
    /// <param name="idleMicros">An entry not touched for this long is treated as gone.</param>
    public SourceTable(int capacity, long idleMicros)
    {
        int size = (int)Math.Max(Ways, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity));
        _keys = new UInt128[size];
        _lastSeen = new long[size];
        _used = new bool[size];
        _values = new T[size];
        _mask = size - 1;
        _idleMicros = idleMicros;
    }

    public int Capacity => _keys.Length;

    /// <summary>Live entries displaced to make room for new ones (idle entries reused are not counted).</summary>
    public long Evictions { get; private set; }

    /// <summary>Slots ever filled (grows to <see cref="Capacity"/> and stays there).</summary>
    public int Occupied { get; private set; }

    public ref T this[int slot] => ref _values[slot];

    /// <summary>The slot holding a live entry for <paramref name="key"/>, or -1. Does not refresh it.</summary>
    public int Find(UInt128 key, long now)
    {
        int start = Start(key);
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
    /// The slot for <paramref name="key"/>, creating it (with a default value) if needed, and marks it seen now.
    /// <paramref name="created"/> tells the caller to reset any state it keeps per slot.
    /// </summary>
    public int Acquire(UInt128 key, long now, out bool created)
    {
        int start = Start(key);
        int free = -1;
        int oldest = -1;
        for (int i = 0; i < Ways; i++)
        {
            int s = (start + i) & _mask;
            if (!_used[s])
            {
                free = free < 0 ? s : free;
                continue;
            }

            if (_keys[s] == key)
            {
                created = IsIdle(s, now);
                if (created)
                {
                    _values[s] = default;
                }

                _lastSeen[s] = now;
                return s;
            }

            if (free < 0 && IsIdle(s, now))
            {
                free = s;
            }
            else if (oldest < 0 || _lastSeen[s] < _lastSeen[oldest])
            {
                oldest = s;
            }
        }

        int slot = free;
        if (slot < 0)
        {
            slot = oldest;
            Evictions++;
        }
        else if (!_used[slot])
        {
            Occupied++;
        }

        _used[slot] = true;
        _keys[slot] = key;
        _lastSeen[slot] = now;
        _values[slot] = default;
        created = true;
        return slot;
    }

    private bool IsIdle(int slot, long now) => now - _lastSeen[slot] > _idleMicros;

    private int Start(UInt128 key)
    {
        // Fold the 128 bits and mix them (Fibonacci hashing) so neighbouring addresses spread over the table.
        ulong folded = (ulong)key ^ (ulong)(key >> 64);
        return (int)((folded * 0x9E37_79B9_7F4A_7C15UL) >> 32) & _mask;
    }
}
