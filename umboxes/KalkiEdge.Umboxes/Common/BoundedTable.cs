namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// A per-key table (per source, per flow, ...) that never holds more than <see cref="Capacity"/> entries: when
/// full, adding a key evicts the least recently used one and counts it in <see cref="Evictions"/>. Floods of
/// distinct keys (spoofed sources, scans) therefore cost a bounded amount of memory.
/// <para>
/// Storage is allocated at the first entry and grows on demand up to the capacity (an element that never sees
/// the traffic it tracks costs no storage, and a device that talks to three hosts does not pay for 4096), so
/// allocation happens only while adding entries; lookups, touches, removals and adds into a full table
/// allocate nothing. Every operation is O(1) (hash lookup plus an intrusive LRU list over slot indices).
/// </para>
/// <para>
/// Values are returned by reference so callers update them in place. A returned reference is valid only until
/// the next <see cref="GetOrAdd"/> on the same table (growth may move storage). Not thread-safe: one table per
/// element instance, and the engine runs an instance on one thread at a time.
/// </para>
/// </summary>
public sealed class BoundedTable<TKey, TValue>
    where TKey : notnull
{
    private const int InitialSlots = 1; // many devices talk to a single remote host; storage doubles from there
    private const int None = -1;

    private readonly Dictionary<TKey, int> _index;
    private TKey[] _keys;
    private TValue[] _values;
    private long[] _touched;
    private int[] _prev;
    private int[] _next;
    private int _highWater;
    private int _freeHead = None;
    private int _mru = None;
    private int _lru = None;

    public BoundedTable(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;

        // Empty until the first entry (the dictionary allocates its buckets at its first Add too).
        _index = new Dictionary<TKey, int>(comparer);
        _keys = [];
        _values = [];
        _touched = [];
        _prev = [];
        _next = [];
    }

    public int Capacity { get; }

    public int Count => _index.Count;

    /// <summary>Entries pushed out because the table was full (the flood indicator worth logging).</summary>
    public long Evictions { get; private set; }

    /// <summary>Entries removed by <see cref="ExpireIdle"/> because nobody touched them for too long.</summary>
    public long Expirations { get; private set; }

    /// <summary>Finds a key and marks it most recently used at <paramref name="nowMicros"/>.</summary>
    public ref TValue Find(TKey key, long nowMicros, out bool found)
    {
        if (!_index.TryGetValue(key, out int slot))
        {
            found = false;
            return ref System.Runtime.CompilerServices.Unsafe.NullRef<TValue>();
        }

        found = true;
        Touch(slot, nowMicros);
        return ref _values[slot];
    }

    /// <summary>True when the key is present; does not change its recency.</summary>
    public bool Contains(TKey key) => _index.ContainsKey(key);

    /// <summary>
    /// Returns the key's value, adding it (as <c>default</c>) if missing; evicts the least recently used entry
    /// when the table is full. The entry becomes the most recently used.
    /// </summary>
    public ref TValue GetOrAdd(TKey key, long nowMicros, out bool added)
    {
        if (_index.TryGetValue(key, out int slot))
        {
            added = false;
            Touch(slot, nowMicros);
            return ref _values[slot];
        }

        added = true;
        slot = TakeSlot();
        _keys[slot] = key;
        _values[slot] = default!;
        _touched[slot] = nowMicros;
        _index.Add(key, slot);
        LinkAtMru(slot);
        return ref _values[slot];
    }

    public bool Remove(TKey key)
    {
        if (!_index.Remove(key, out int slot))
        {
            return false;
        }

        Release(slot);
        return true;
    }

    /// <summary>
    /// Removes entries untouched for at least <paramref name="idleMicros"/>, oldest first, at most
    /// <paramref name="max"/> of them (callers on the hot path pass a small number to keep the work O(1)).
    /// Returns how many were removed.
    /// </summary>
    public int ExpireIdle(long nowMicros, long idleMicros, int max = int.MaxValue)
    {
        int removed = 0;
        while (removed < max && _lru != None && nowMicros - _touched[_lru] >= idleMicros)
        {
            int slot = _lru;
            _index.Remove(_keys[slot]);
            Release(slot);
            removed++;
        }

        Expirations += removed;
        return removed;
    }

    /// <summary>Frame time at which the key was last found or added, or null if absent.</summary>
    public long? LastTouched(TKey key) => _index.TryGetValue(key, out int slot) ? _touched[slot] : null;

    public void Clear()
    {
        _index.Clear();
        Array.Clear(_keys);
        Array.Clear(_values);
        _highWater = 0;
        _freeHead = _mru = _lru = None;
    }

    private int TakeSlot()
    {
        if (_freeHead != None)
        {
            int free = _freeHead;
            _freeHead = _next[free];
            return free;
        }

        if (_highWater < Capacity)
        {
            if (_highWater == _keys.Length)
            {
                Grow();
            }

            return _highWater++;
        }

        // Full: reuse the least recently used entry's slot.
        int victim = _lru;
        _index.Remove(_keys[victim]);
        Unlink(victim);
        Evictions++;
        return victim;
    }

    private void Grow()
    {
        int size = (int)Math.Min(Capacity, Math.Max(InitialSlots, (long)_keys.Length * 2));
        Array.Resize(ref _keys, size);
        Array.Resize(ref _values, size);
        Array.Resize(ref _touched, size);
        Array.Resize(ref _prev, size);
        Array.Resize(ref _next, size);
    }

    private void Release(int slot)
    {
        Unlink(slot);
        _keys[slot] = default!;
        _values[slot] = default!;
        _next[slot] = _freeHead;
        _freeHead = slot;
    }

    private void Touch(int slot, long nowMicros)
    {
        _touched[slot] = nowMicros;
        if (slot != _mru)
        {
            Unlink(slot);
            LinkAtMru(slot);
        }
    }

    private void LinkAtMru(int slot)
    {
        _prev[slot] = None;
        _next[slot] = _mru;
        if (_mru != None)
        {
            _prev[_mru] = slot;
        }

        _mru = slot;
        if (_lru == None)
        {
            _lru = slot;
        }
    }

    private void Unlink(int slot)
    {
        int p = _prev[slot], n = _next[slot];
        if (p != None)
        {
            _next[p] = n;
        }
        else
        {
            _mru = n;
        }

        if (n != None)
        {
            _prev[n] = p;
        }
        else
        {
            _lru = p;
        }
    }
}
