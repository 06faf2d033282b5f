namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// A bounded table of per-key state (per attacking source, per flow, per signature and address), with optional
/// fixed-size per-entry storage of longs (<see cref="Extra"/>, e.g. event times). Set-associative: a key can
/// live only in the <see cref="Ways"/> slots after its hash, so a lookup costs at most that many probes whatever
/// the load. An entry is live until its expiry (by default <c>idleMicros</c> after it was last acquired; the
/// owner may set another with <see cref="ExpireAt"/>, e.g. a flow's state-dependent timeout); an expired entry
/// is free for reuse, and at full capacity the least recently acquired candidate is evicted (and counted), so a
/// flood of distinct (spoofed) keys can displace state but never grow memory.
/// <para>
/// With <c>grow: true</c> storage is allocated at the first entry and then doubles on demand up to the capacity
/// (most element instances never see the traffic they watch, and a device that talks to three hosts does not
/// pay for thousands); growth re-places every live entry (none is lost: each keeps its distance from where its
/// probe starts, and no two entries had the same place before), so slot numbers are only valid until the next
/// <see cref="Acquire"/>. With <c>grow: false</c> the whole capacity is allocated at construction and slots
/// stay put, so an owner may index side arrays by slot. Either way nothing is allocated per lookup.
/// A value that holds resources (pooled buffers) hands them back through <c>released</c>, called for every
/// value the table lets go of: an entry replaced (expired or evicted) or an expired one dropped while growing.
/// Not thread-safe: one table per element instance, or a lock around it.
/// </para>
/// </summary>
public sealed class SetAssociativeTable<TKey, TValue>
    where TKey : struct, IEquatable<TKey>
    where TValue : struct
{
    private const int InitialSlots = 4;

    private readonly Func<TKey, ulong> _hash;
    private readonly int _maxSlots;
    private readonly int _extraPerSlot;
    private readonly long _idleMicros;
    private readonly Action<TValue>? _released;
    private TKey[] _keys;
    private long[] _lastSeen;
    private long[] _expires;
    private bool[] _used;
    private TValue[] _values;
    private long[] _extra;
    private int _mask;

    /// <param name="hash">The key's hash: deterministic (not <c>GetHashCode</c>, which is seeded per process), so
    /// placement and eviction are the same on every run.</param>
    /// <param name="capacity">Maximum entries (rounded up to a power of two, at least <paramref name="ways"/>).</param>
    /// <param name="idleMicros">An entry not acquired for longer than this is treated as gone (unless <see cref="ExpireAt"/> says otherwise).</param>
    /// <param name="extraPerSlot">Longs of per-entry storage kept beside the value (zeroed for new entries).</param>
    /// <param name="ways">Slots a key may occupy (probes per lookup).</param>
    /// <param name="grow">Allocate on demand (slots move on growth) rather than all at construction (slots stay put).</param>
    /// <param name="released">Called with each value the table lets go of, before it is cleared.</param>
    public SetAssociativeTable(Func<TKey, ulong> hash, int capacity, long idleMicros, int extraPerSlot = 0, int ways = 8, bool grow = true, Action<TValue>? released = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ways, 1);
        _hash = hash;
        Ways = ways;
        _maxSlots = (int)Math.Max(ways, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 1)));
        _extraPerSlot = extraPerSlot;
        _idleMicros = idleMicros;
        _released = released;
        _keys = [];
        _lastSeen = [];
        _expires = [];
        _used = [];
        _values = [];
        _extra = [];
        if (!grow)
        {
            Allocate(_maxSlots);
        }
    }

    public int Ways { get; }

    /// <summary>The most entries the table will ever hold.</summary>
    public int Capacity => _maxSlots;

    /// <summary>Slots allocated so far: 0 before the first entry, then doubling up to <see cref="Capacity"/>.</summary>
    public int Size => _keys.Length;

    /// <summary>Live entries displaced to make room for new ones (expired entries reused are not counted).</summary>
    public long Evictions { get; private set; }

    public ref TValue this[int slot] => ref _values[slot];

    /// <summary>The entry's extra storage (valid until the next <see cref="Acquire"/>, which may grow the table).</summary>
    public Span<long> Extra(int slot) => _extra.AsSpan(slot * _extraPerSlot, _extraPerSlot);

    /// <summary>Sets when the entry in <paramref name="slot"/> stops being live (frame time).</summary>
    public void ExpireAt(int slot, long at) => _expires[slot] = at;

    /// <summary>The slot holding a live entry for <paramref name="key"/>, or -1. Does not refresh it.</summary>
    public int Find(TKey key, long now)
    {
        if (_keys.Length == 0)
        {
            return -1;
        }

        int start = Start(key);
        for (int i = 0; i < Ways; i++)
        {
            int s = (start + i) & _mask;
            if (_used[s] && _keys[s].Equals(key))
            {
                return Expired(s, now) ? -1 : s;
            }
        }

        return -1;
    }

    /// <summary>
    /// The slot for <paramref name="key"/>, creating it (default value, zeroed extra storage) if needed, and
    /// marks it acquired now (live for the idle time from now). <paramref name="created"/> tells the caller the
    /// entry starts afresh.
    /// </summary>
    public int Acquire(TKey key, long now, out bool created)
    {
        if (_keys.Length == 0)
        {
            Grow(now);
        }

        while (true)
        {
            int start = Start(key);
            int free = -1;
            int oldest = -1;
            for (int i = 0; i < Ways; i++)
            {
                int s = (start + i) & _mask;
                if (_used[s] && _keys[s].Equals(key))
                {
                    created = Expired(s, now);
                    if (created)
                    {
                        Release(s);
                    }

                    Touch(s, now);
                    return s;
                }

                if (!_used[s] || Expired(s, now))
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

            if (_used[slot])
            {
                Release(slot);
            }

            _used[slot] = true;
            _keys[slot] = key;
            Touch(slot, now);
            Clear(slot);
            created = true;
            return slot;
        }
    }

    private void Touch(int slot, long now)
    {
        _lastSeen[slot] = now;
        _expires[slot] = now > long.MaxValue - _idleMicros ? long.MaxValue : now + _idleMicros;
    }

    /// <summary>The entry's value is let go of: its owner takes back what it holds, then it is cleared.</summary>
    private void Release(int slot)
    {
        _released?.Invoke(_values[slot]);
        Clear(slot);
    }

    private void Clear(int slot)
    {
        _values[slot] = default;
        Extra(slot).Clear();
    }

    private void Allocate(int size)
    {
        _keys = new TKey[size];
        _lastSeen = new long[size];
        _expires = new long[size];
        _used = new bool[size];
        _values = new TValue[size];
        _extra = new long[size * _extraPerSlot];
        _mask = size - 1;
    }

    /// <summary>
    /// Allocates the first slots, or doubles the storage and re-places the live entries (expired ones are let go of on
    /// the way). Each entry keeps its offset from its probe start: its new start is its old one or that plus the old
    /// size, so two entries could only meet where they had met before, and every one fits.
    /// </summary>
    private void Grow(long now)
    {
        var (keys, lastSeen, expires, used, values, extra) = (_keys, _lastSeen, _expires, _used, _values, _extra);
        int oldMask = _mask;
        Allocate(Math.Min(_maxSlots, Math.Max(InitialSlots, keys.Length * 2)));
        for (int old = 0; old < keys.Length; old++)
        {
            if (!used[old])
            {
                continue;
            }

            if (now > expires[old])
            {
                _released?.Invoke(values[old]);
                continue;
            }

            int start = Start(keys[old]); // the old start, or that plus the old size
            int slot = (start + ((old - start) & oldMask)) & _mask;
            _used[slot] = true;
            _keys[slot] = keys[old];
            _lastSeen[slot] = lastSeen[old];
            _expires[slot] = expires[old];
            _values[slot] = values[old];
            extra.AsSpan(old * _extraPerSlot, _extraPerSlot).CopyTo(Extra(slot));
        }
    }

    private bool Expired(int slot, long now) => now > _expires[slot];

    // Fibonacci hashing on top of the key's hash, so neighbouring addresses and ports spread over the table.
    private int Start(TKey key) => (int)((_hash(key) * 0x9E37_79B9_7F4A_7C15UL) >> 32) & _mask;
}

/// <summary>Deterministic key hashes for <see cref="SetAssociativeTable{TKey, TValue}"/>.</summary>
public static class TableHash
{
    /// <summary>An address (IPv4-mapped or IPv6): its two halves folded.</summary>
    public static ulong Address(UInt128 address) => (ulong)address ^ (ulong)(address >> 64);
}
