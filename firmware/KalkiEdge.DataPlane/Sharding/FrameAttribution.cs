namespace KalkiEdge.DataPlane.Sharding;

/// <summary>
/// A frame's direction, owner key and shard from its bytes, as <see cref="PacketEngine.InferDirection"/>,
/// <see cref="PacketEngine.OwnerKey"/> and <see cref="ShardAssignment"/> give them, against the device MACs of the
/// engine when a walking run starts (<see cref="WalkingShardedEngine"/>): every engine thread attributes every frame of
/// the capture, its own or not, and the engine's table (a concurrent dictionary of linked nodes) costs a chain of cache
/// misses per lookup where this flat, read-only table of MACs costs one line. Each device's shard is worked out once,
/// when the table is built, and kept in the device's slot beside its MAC: per frame, the hash and the division of
/// <see cref="ShardAssignment.Of(ulong, int, double)"/> cost more than the lookup. The devices must not change during
/// the run (a replay with a pairing window runs on one thread).
/// </summary>
public sealed class FrameAttribution
{
    private readonly FlatMacs _macs;
    private readonly Func<ulong, int> _shardOf;

    /// <summary>One shard: every frame is shard 0's.</summary>
    public FrameAttribution(IEnumerable<ulong> deviceMacs)
        : this(deviceMacs, static _ => 0)
    {
    }

    /// <summary>
    /// <paramref name="shardOf"/> gives a key's shard: called once per device here, and per frame only for keys that
    /// are no device's (the network chain's 0, unregistered MACs).
    /// </summary>
    public FrameAttribution(IEnumerable<ulong> deviceMacs, Func<ulong, int> shardOf)
    {
        ArgumentNullException.ThrowIfNull(deviceMacs);
        ArgumentNullException.ThrowIfNull(shardOf);
        _shardOf = shardOf;
        _macs = new FlatMacs([.. deviceMacs], shardOf);
    }

    /// <summary>The engine's devices now, on one shard.</summary>
    public static FrameAttribution Of(PacketEngine engine) => Of(engine, static _ => 0);

    /// <summary>The engine's devices now, each on the shard <paramref name="shardOf"/> gives its MAC.</summary>
    public static FrameAttribution Of(PacketEngine engine, Func<ulong, int> shardOf)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return new FrameAttribution(engine.Devices.All.Select(d => d.Mac), shardOf);
    }

    /// <summary>
    /// The owner key of <paramref name="data"/> (the device whose state the frame touches; 0 for the network chain and
    /// runts) and its inferred <paramref name="direction"/>, by the engine's rule (<see cref="PacketEngine.Attribute"/>).
    /// </summary>
    public ulong OwnerKey(ReadOnlySpan<byte> data, out Direction direction)
    {
        if (data.Length < Frame.EthernetHeader)
        {
            direction = Direction.FromDevice;
            return 0;
        }

        return PacketEngine.Attribute(_macs, Mac.Read(data[..6]), Mac.Read(data.Slice(6, 6)), out direction);
    }

    /// <summary>The shard of owner key <paramref name="key"/> (<see cref="OwnerKey"/>): a device's from its slot.</summary>
    public int ShardOf(ulong key) => _macs.ShardOf(key) is var shard and >= 0 ? shard : _shardOf(key);

    /// <summary>
    /// The MACs in an open-addressed table of one <c>ulong</c> per slot, a quarter full at most: the MAC in the low 48
    /// bits, the device's shard above it, and the top bit marking a used slot (so MAC 0 is a key like any other).
    /// </summary>
    private readonly struct FlatMacs : IDeviceMacs
    {
        private const ulong Used = 1UL << 63;
        private const ulong MacBits = (1UL << 48) - 1;
        private const int ShardShift = 48;
        private const int MaxShard = (1 << 15) - 1;

        private readonly ulong[] _slots;
        private readonly int _shift;

        public FlatMacs(List<ulong> macs, Func<ulong, int> shardOf)
        {
            int bits = 4;
            while ((1 << bits) < macs.Count * 4)
            {
                bits++;
            }

            _slots = new ulong[1 << bits];
            _shift = 64 - bits;
            foreach (var mac in macs)
            {
                int shard = shardOf(mac);
                if ((mac & ~MacBits) != 0 || shard is < 0 or > MaxShard)
                {
                    throw new ArgumentOutOfRangeException(nameof(macs), $"device MAC {mac:x} on shard {shard}: a MAC has 48 bits and a shard is 0..{MaxShard}");
                }

                int i = Find(mac);
                _slots[i] = Used | ((ulong)shard << ShardShift) | mac;
            }
        }

        public bool IsDevice(ulong mac) => _slots[Find(mac)] != 0;

        /// <summary>The device's shard, or −1 when <paramref name="mac"/> is no device's.</summary>
        public int ShardOf(ulong mac) => _slots[Find(mac)] is var slot and not 0 ? (int)((slot & ~Used) >> ShardShift) : -1;

        /// <summary>The slot holding <paramref name="mac"/>, or the empty slot where it would go.</summary>
        private int Find(ulong mac)
        {
            for (int i = Home(mac); ; i = (i + 1) & (_slots.Length - 1))
            {
                var slot = _slots[i];
                if (slot == 0 || (slot & MacBits) == mac)
                {
                    return i;
                }
            }
        }

        private int Home(ulong mac) => (int)((mac * 0x9E3779B97F4A7C15UL) >> _shift);
    }
}
