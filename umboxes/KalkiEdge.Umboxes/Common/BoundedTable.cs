namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// A per-key table (per source, per flow, ...) that never holds more than <see cref="Capacity"/> entries: when
/// full, adding a key evicts the least recently used one and counts it in <see cref="Evictions"/>. Floods of
/// distinct keys (spoofed sources, scans) therefore cost a bounded amount of memory.
/// <para>
/// Storage is allocated at the first entry and grows on demand up to the capacity (an element that never sees
/// the traffic it tracks costs no storage, and a device that talks to three hosts does not pay for 4096), so
/// allocation happens only while adding entries; lookups, touches, removals and adds into a full table
/// allocate nothing. Every operation is O(1): a hash index chained through the slots (no dictionary beside the
/// slots, so a key is stored once; at 10,000 devices each with a few small tables this halves their memory)
/// plus an intrusive LRU list over slot indices.
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

    private readonly IEqualityComparer<TKey>? _comparer;
    // Each entry's key, value, recency and links in one array: a lookup reads one slot, and a table costs two
    // arrays (slots and buckets), not one per field.
    private Slot[] _slots;

    // The hash index: _buckets[hash & mask] holds a slot + 1 (0: empty).
    private int[] _buckets;
    private int _count;
    private int _highWater;
    private int _freeHead = None;
    private int _mru = None;
    private int _lru = None;

    public BoundedTable(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _comparer = comparer;

        // Empty until the first entry.
        _slots = [];
        _buckets = [];
    }

    public int Capacity { get; }

    public int Count => _count;

    /// <summary>Entries pushed out because the table was full (the flood indicator worth logging).</summary>
    public long Evictions { get; private set; }

    /// <summary>Entries removed by <see cref="ExpireIdle"/> because nobody touched them for too long.</summary>
    public long Expirations { get; private set; }

    /// <summary>Finds a key and marks it most recently used at <paramref name="nowMicros"/>.</summary>
    public ref TValue Find(TKey key, long nowMicros, out bool found)
    {
        int slot = SlotOf(key);
        if (slot == None)
        {
            found = false;
            return ref System.Runtime.CompilerServices.Unsafe.NullRef<TValue>();
        }

        found = true;
        Touch(slot, nowMicros);
        return ref _slots[slot].Value;
    }

    /// <summary>True when the key is present; does not change its recency.</summary>
    public bool Contains(TKey key) => SlotOf(key) != None;

    /// <summary>
    /// Returns the key's value, adding it (as <c>default</c>) if missing; evicts the least recently used entry
    /// when the table is full. The entry becomes the most recently used.
    /// </summary>
    public ref TValue GetOrAdd(TKey key, long nowMicros, out bool added)
    {
        int slot = SlotOf(key);
        if (slot != None)
        {
            added = false;
            Touch(slot, nowMicros);
            return ref _slots[slot].Value;
        }

        added = true;
        slot = TakeSlot();
        _slots[slot].Key = key;
        _slots[slot].Value = default!;
        _slots[slot].Touched = nowMicros;
        Index(slot);
        _count++;
        LinkAtMru(slot);
        return ref _slots[slot].Value;
    }

    public bool Remove(TKey key)
    {
        int slot = SlotOf(key);
        if (slot == None)
        {
            return false;
        }

        Unindex(slot);
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
        while (removed < max && _lru != None && nowMicros - _slots[_lru].Touched >= idleMicros)
        {
            int slot = _lru;
            Unindex(slot);
            Release(slot);
            removed++;
        }

        Expirations += removed;
        return removed;
    }

    /// <summary>Frame time at which the key was last found or added, or null if absent.</summary>
    public long? LastTouched(TKey key) => SlotOf(key) is var slot && slot != None ? _slots[slot].Touched : null;

    public void Clear()
    {
        Array.Clear(_buckets);
        _count = 0;
        Array.Clear(_slots);
        _highWater = 0;
        _freeHead = _mru = _lru = None;
    }

    private int TakeSlot()
    {
        if (_freeHead != None)
        {
            int free = _freeHead;
            _freeHead = Next(free);
            return free;
        }

        if (_highWater < Capacity)
        {
            if (_highWater == _slots.Length)
            {
                Grow();
            }

            return _highWater++;
        }

        // Full: reuse the least recently used entry's slot.
        int victim = _lru;
        Unindex(victim);
        _count--;
        Unlink(victim);
        Evictions++;
        return victim;
    }

    private void Grow()
    {
        int size = (int)Math.Min(Capacity, Math.Max(InitialSlots, (long)_slots.Length * 2));
        Array.Resize(ref _slots, size);

        // Re-hash every entry (all slots are live when the storage grows) into buckets as many as the slots.
        _buckets = new int[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size)];
        for (int slot = _mru; slot != None; slot = Next(slot))
        {
            Index(slot);
        }
    }

    private ref int Prev(int slot) => ref _slots[slot].Prev;

    private ref int Next(int slot) => ref _slots[slot].Next;

    private ref int Chain(int slot) => ref _slots[slot].Chain;

    private int SlotOf(TKey key)
    {
        if (_buckets.Length == 0)
        {
            return None;
        }

        for (int slot = _buckets[Bucket(key)] - 1; slot != None; slot = Chain(slot) - 1)
        {
            if (Same(_slots[slot].Key, key))
            {
                return slot;
            }
        }

        return None;
    }

    private void Index(int slot)
    {
        ref int head = ref _buckets[Bucket(_slots[slot].Key)];
        Chain(slot) = head;
        head = slot + 1;
    }

    private void Unindex(int slot)
    {
        ref int link = ref _buckets[Bucket(_slots[slot].Key)];
        while (link - 1 != slot)
        {
            link = ref Chain(link - 1);
        }

        link = Chain(slot);
    }

    // Value-type keys with the default comparer compare through EqualityComparer<T>.Default, which the JIT
    // devirtualizes (as Dictionary does); a key's GetHashCode is spread over the buckets by Fibonacci hashing.
    private bool Same(TKey a, TKey b) => _comparer is null ? EqualityComparer<TKey>.Default.Equals(a, b) : _comparer.Equals(a, b);

    private int Bucket(TKey key)
    {
        uint hash = (uint)(_comparer is null ? EqualityComparer<TKey>.Default.GetHashCode(key) : _comparer.GetHashCode(key));
        return (int)((hash * 0x9E37_79B9_7F4A_7C15UL) >> 32) & (_buckets.Length - 1);
    }

    private void Release(int slot)
    {
        _count--;
        Unlink(slot);
        _slots[slot].Key = default!;
        _slots[slot].Value = default!;
        Next(slot) = _freeHead;
        _freeHead = slot;
    }

    private void Touch(int slot, long nowMicros)
    {
        _slots[slot].Touched = nowMicros;
        if (slot != _mru)
        {
            Unlink(slot);
            LinkAtMru(slot);
        }
    }

    private void LinkAtMru(int slot)
    {
        Prev(slot) = None;
        Next(slot) = _mru;
        if (_mru != None)
        {
            Prev(_mru) = slot;
        }

        _mru = slot;
        if (_lru == None)
        {
            _lru = slot;
        }
    }

    private void Unlink(int slot)
    {
        int p = Prev(slot), n = Next(slot);
        if (p != None)
        {
            Next(p) = n;
        }
        else
        {
            _mru = n;
        }

        if (n != None)
        {
            Prev(n) = p;
        }
        else
        {
            _lru = p;
        }
    }

    private struct Slot
    {
        public TKey Key;
        public TValue Value;

        // Frame time of the last find or add.
        public long Touched;

        // The LRU list's previous and next slots (the free list reuses Next), and the next slot + 1 in the hash bucket.
        public int Prev;
        public int Next;
        public int Chain;
    }
}
