using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// Tracks flows the way <c>flow:</c> and header-only rules need them, modelled on Suricata's flow and stream
/// engines (checked against Suricata 7 by the peer tests):
/// <list type="bullet">
/// <item>A flow is (protocol, the two address/port endpoints) in either direction; ICMP and other protocols
/// use ports 0.</item>
/// <item>The client is the sender of the flow's first packet, except that a TCP SYN+ACK seen first marks
/// its receiver as the client. <c>to_server</c> = sent by the client; <c>to_client</c> = sent to it.</item>
/// <item>TCP is <c>established</c> from the first packet after the client's ACK that completes
/// SYN → SYN+ACK → ACK (that ACK itself is not); a flow never seen from its SYN never becomes established.
/// Other protocols are established from the first packet of the reply direction onward (that one included).</item>
/// <item><see cref="PacketFlow.FirstInDirection"/>: the first packet of each direction of the flow.</item>
/// <item><see cref="PacketFlow.HasTcpSession"/>: a SYN (without ACK, FIN or RST) was seen, so Suricata's stream engine
/// tracks the flow (it does not pick up sessions mid-stream).</item>
/// <item><see cref="Drop"/>: a drop rule matched; the flow stays dropped until it expires.</item>
/// <item>Idle flows expire after Suricata's default timeouts of frame time: 30 s (60 s for TCP) before they are
/// established, 300 s (600 s for TCP) after.</item>
/// </list>
/// Fixed capacity, 4-way set-associative: a new flow replaces an expired entry in its set or, if none, the
/// least recently seen one (counted in <see cref="Evictions"/>). No allocation after construction.
/// </summary>
public sealed class FlowTable
{
    private const int Ways = 4;
    private const byte SeenToServer = 1;
    private const byte SeenToClient = 2;

    private readonly Entry[] _entries;
    private readonly int _setMask;

    public FlowTable(int capacity)
    {
        int sets = (int)Math.Max(1, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, Ways)) / Ways);
        _entries = new Entry[sets * Ways];
        _setMask = sets - 1;
    }

    public int Capacity => _entries.Length;

    public long Evictions { get; private set; }

    public PacketFlow Update(Frame frame, ushort srcPort, ushort dstPort) => Update(frame, srcPort, dstPort, create: true)!.Value;

    /// <summary>As <see cref="Update"/> for a flow already in the table; null (and no entry taken) for any other.</summary>
    public PacketFlow? UpdateExisting(Frame frame, ushort srcPort, ushort dstPort) => Update(frame, srcPort, dstPort, create: false);

    private PacketFlow? Update(Frame frame, ushort srcPort, ushort dstPort, bool create)
    {
        var src = frame.SrcIp;
        var dst = frame.DstIp;
        bool srcIsA = src < dst || (src == dst && srcPort <= dstPort);
        var a = srcIsA ? src : dst;
        var b = srcIsA ? dst : src;
        var portA = srcIsA ? srcPort : dstPort;
        var portB = srcIsA ? dstPort : srcPort;
        byte protocol = frame.IpProtocol;
        long now = frame.TimestampMicros;

        int set = (int)(Hash(a, b, portA, portB, protocol) & (uint)_setMask) * Ways;
        int slot = Find(set, a, b, portA, portB, protocol, now);
        ref var e = ref _entries[slot];
        if (!e.InUse && !create)
        {
            return null;
        }

        if (!e.InUse)
        {
            e = new Entry
            {
                InUse = true,
                A = a,
                B = b,
                PortA = portA,
                PortB = portB,
                Protocol = protocol,
                // A SYN+ACK first means we joined after the SYN: its receiver is the client.
                ClientIsA = IsSynAck(frame) ? !srcIsA : srcIsA,
                Generation = unchecked(e.Generation + 1),
            };
        }

        e.LastSeen = now;
        bool toServer = srcIsA == e.ClientIsA;
        byte direction = toServer ? SeenToServer : SeenToClient;
        bool first = (e.Seen & direction) == 0;
        e.Seen |= direction;
        bool established;
        if (frame.IsTcp)
        {
            e.SynSeen |= (frame.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Fin | TcpFlags.Rst)) == TcpFlags.Syn;
            // Suricata marks the handshake's last ACK as not yet established: look before advancing.
            established = e.State == FlowState.Established;
            Advance(ref e, frame.TcpFlags, toServer);
        }
        else
        {
            if (e.Seen == (SeenToServer | SeenToClient))
            {
                e.State = FlowState.Established;
            }

            established = e.State == FlowState.Established;
        }

        return new PacketFlow(toServer, established, first, e.SynSeen, slot, e.Generation, e.Dropped);
    }

    /// <summary>A drop rule matched: the flow's later packets are dropped uninspected (Suricata's flow drop).</summary>
    public void Drop(in PacketFlow flow)
    {
        ref var e = ref _entries[flow.Slot];
        if (e.InUse && e.Generation == flow.Generation)
        {
            e.Dropped = true;
        }
    }

    private static bool IsSynAck(Frame frame) =>
        frame.IsTcp && (frame.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack);

    private static void Advance(ref Entry e, TcpFlags flags, bool toServer)
    {
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool ack = (flags & TcpFlags.Ack) != 0;
        bool rst = (flags & TcpFlags.Rst) != 0;
        switch (e.State)
        {
            case FlowState.New when syn && !ack && toServer:
                e.State = FlowState.SynSent;
                break;
            case FlowState.SynSent when syn && ack && !toServer:
                e.State = FlowState.SynAckSeen;
                break;
            case FlowState.SynAckSeen when ack && !syn && !rst && toServer:
                e.State = FlowState.Established;
                break;
        }
    }

    private static long TimeoutMicros(in Entry e) =>
        (e.State == FlowState.Established ? 300_000_000L : 30_000_000L) * (e.Protocol == IpProtocols.Tcp ? 2 : 1);

    private static bool Expired(in Entry e, long now) => now - e.LastSeen > TimeoutMicros(e);

    /// <summary>The entry of this flow (expired: emptied) or the one a new flow should take.</summary>
    private int Find(int set, UInt128 a, UInt128 b, ushort portA, ushort portB, byte protocol, long now)
    {
        int victim = set;
        long oldest = long.MaxValue;
        for (int i = set; i < set + Ways; i++)
        {
            ref var e = ref _entries[i];
            if (e.InUse && e.A == a && e.B == b && e.PortA == portA && e.PortB == portB && e.Protocol == protocol)
            {
                if (Expired(e, now))
                {
                    e.InUse = false;
                }

                return i;
            }

            long rank = !e.InUse || Expired(e, now) ? long.MinValue : e.LastSeen;
            if (rank < oldest)
            {
                oldest = rank;
                victim = i;
            }
        }

        ref var slot = ref _entries[victim];
        if (slot.InUse && !Expired(slot, now))
        {
            Evictions++;
        }

        slot.InUse = false;
        return victim;
    }

    private static uint Hash(UInt128 a, UInt128 b, ushort portA, ushort portB, byte protocol)
    {
        ulong h = (ulong)a ^ ((ulong)(a >> 64) * 31) ^ ((ulong)b * 0x9E3779B97F4A7C15UL) ^ (ulong)(b >> 64);
        h ^= ((ulong)portA << 32) | ((ulong)portB << 16) | protocol;
        h *= 0xBF58476D1CE4E5B9UL;
        return (uint)(h ^ (h >> 31));
    }

    private enum FlowState : byte
    {
        New,
        SynSent,
        SynAckSeen,
        Established,
    }

    private struct Entry
    {
        public bool InUse;
        public UInt128 A;
        public UInt128 B;
        public ushort PortA;
        public ushort PortB;
        public byte Protocol;
        public bool ClientIsA;
        public FlowState State;
        public bool SynSeen;
        public byte Seen;
        public long LastSeen;

        // Counts the flows this entry has held, so state kept elsewhere per entry knows when it is stale.
        public uint Generation;

        public bool Dropped;
    }
}
