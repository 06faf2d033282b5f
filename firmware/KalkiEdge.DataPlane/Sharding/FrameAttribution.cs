namespace KalkiEdge.DataPlane.Sharding;

/// <summary>
/// A frame's direction and owner key from its bytes, as <see cref="PacketEngine.InferDirection"/> and
/// <see cref="PacketEngine.OwnerKey"/> give them, against the device MACs of the engine when a walking run starts
/// (<see cref="WalkingShardedEngine"/>): every engine thread attributes every frame of the capture, its own or not,
/// and the engine's table (a concurrent dictionary of linked nodes) costs a chain of cache misses per lookup where
/// this flat, read-only table of MACs costs one line. The devices must not change during the run (a replay with a
/// pairing window runs on one thread).
/// </summary>
public sealed class FrameAttribution
{
    private readonly FlatMacs _macs;

    public FrameAttribution(IEnumerable<ulong> deviceMacs)
    {
        ArgumentNullException.ThrowIfNull(deviceMacs);
        _macs = new FlatMacs([.. deviceMacs]);
    }

    /// <summary>The engine's devices now.</summary>
    public static FrameAttribution Of(PacketEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return new FrameAttribution(engine.Devices.All.Select(d => d.Mac));
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

    /// <summary>The MACs in an open-addressed table of one <c>ulong</c> per slot, a quarter full at most.</summary>
    private readonly struct FlatMacs : IDeviceMacs
    {
        // MACs are 48 bits: the top bit marks a used slot, so MAC 0 is a key like any other.
        private const ulong Used = 1UL << 63;

        private readonly ulong[] _slots;
        private readonly int _shift;

        public FlatMacs(List<ulong> macs)
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
                int i = Home(mac);
                while (_slots[i] != 0 && _slots[i] != (mac | Used))
                {
                    i = (i + 1) & (_slots.Length - 1);
                }

                _slots[i] = mac | Used;
            }
        }

        public bool IsDevice(ulong mac)
        {
            for (int i = Home(mac); ; i = (i + 1) & (_slots.Length - 1))
            {
                var slot = _slots[i];
                if (slot == (mac | Used))
                {
                    return true;
                }

                if (slot == 0)
                {
                    return false;
                }
            }
        }

        private int Home(ulong mac) => (int)((mac * 0x9E3779B97F4A7C15UL) >> _shift);
    }
}
