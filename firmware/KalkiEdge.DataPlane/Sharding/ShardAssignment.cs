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

        // MurmurHash3's 64-bit finaliser: vendors' MACs share their high bytes and often count up in the low ones,
        // so every bit must move every other before the range reduction.
        key ^= key >> 33;
        key *= 0xff51afd7ed558ccdUL;
        key ^= key >> 33;
        key *= 0xc4ceb9fe1a85ec53UL;
        key ^= key >> 33;
        return (int)(((key >> 32) * (ulong)shards) >> 32);
    }
}
