namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// Counts distinct values (ports, hashed tokens, ...) up to a cap, for "N distinct X from one source" detectors.
/// A tiny open-addressing hash set sized for the cap: O(1) expected per add, memory proportional to the cap
/// (not to the attack), allocated once on first use and cleared in place by <see cref="Reset"/>. Values past
/// the cap are not remembered; <see cref="Count"/> then stays at the cap, which is all a threshold needs.
/// A mutable struct meant to live inside a <see cref="BoundedTable{TKey, TValue}"/> value (update it by ref).
/// </summary>
public struct DistinctCounter
{
    private const long Empty = -1;

    private long[]? _slots;

    public int Count { get; private set; }

    /// <summary>Adds a value; returns true if it was not seen before (and there was room to remember it).</summary>
    public bool Add(uint value, int cap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1);
        if (_slots is null || _slots.Length < 2 * cap)
        {
            _slots = new long[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2 * cap))];
            Array.Fill(_slots, Empty);
            Count = 0;
        }

        int mask = _slots.Length - 1;
        // Fibonacci hashing spreads sequential values (port sweeps) over the table.
        int i = (int)((value * 2654435769u) >> 16) & mask;
        while (_slots[i] != Empty)
        {
            if (_slots[i] == value)
            {
                return false;
            }

            i = (i + 1) & mask;
        }

        if (Count >= cap)
        {
            return false;
        }

        _slots[i] = value;
        Count++;
        return true;
    }

    public readonly bool Contains(uint value)
    {
        if (_slots is null)
        {
            return false;
        }

        int mask = _slots.Length - 1;
        int i = (int)((value * 2654435769u) >> 16) & mask;
        while (_slots[i] != Empty)
        {
            if (_slots[i] == value)
            {
                return true;
            }

            i = (i + 1) & mask;
        }

        return false;
    }

    /// <summary>Forgets every value, keeping the storage.</summary>
    public void Reset()
    {
        if (_slots is not null)
        {
            Array.Fill(_slots, Empty);
        }

        Count = 0;
    }
}
