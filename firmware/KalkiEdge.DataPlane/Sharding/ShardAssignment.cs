namespace KalkiEdge.DataPlane.Sharding;

/// <summary>
/// Which engine thread owns a device: a fixed hash of its MAC, so the same device lands on the same shard in every run
/// and on every build (no per-process hash seed), and its frames stay in order on one thread.
/// </summary>
public static class ShardAssignment
{
    /// <summary>The shard (0 .. <paramref name="shards"/> − 1) of the device with MAC <paramref name="key"/>.</summary>
    public static int Of(ulong key, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        return (int)((Spread(key) * (ulong)shards) >> 32);
    }

    /// <summary>
    /// The shard of the device with MAC <paramref name="key"/> when shard 0 takes only <paramref name="firstShare"/> of
    /// the devices (its thread has other work: merging) and the other shards split the rest evenly.
    /// </summary>
    public static int Of(ulong key, int shards, double firstShare)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(firstShare);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstShare, 1.0);
        const ulong Range = 1UL << 32;
        var first = (ulong)(firstShare * Range);
        var point = Spread(key);
        if (shards == 1 || point < first)
        {
            return 0;
        }

        return 1 + (int)((point - first) * (ulong)(shards - 1) / (Range - first));
    }

    /// <summary>
    /// The key's point in 0 .. 2^32 − 1, by MurmurHash3's 64-bit finaliser: vendors' MACs share their high bytes and
    /// often count up in the low ones, so every bit must move every other before the range reduction.
    /// </summary>
    private static ulong Spread(ulong key)
    {
        key ^= key >> 33;
        key *= 0xff51afd7ed558ccdUL;
        key ^= key >> 33;
        key *= 0xc4ceb9fe1a85ec53UL;
        key ^= key >> 33;
        return key >> 32;
    }
}
