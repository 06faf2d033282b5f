using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// Tracks flows the way <c>flow:</c> needs them, modelled on Suricata's flow and stream engines:
/// <list type="bullet">
/// <item>A flow is (protocol, the two address/port endpoints) in either direction; ICMP uses ports 0.</item>
/// <item>The client is the sender of the flow's first packet, except that a TCP SYN+ACK seen first marks
/// its receiver as the client. <c>to_server</c> = sent by the client; <c>to_client</c> = sent to it.</item>
/// <item>TCP is <c>established</c> from the client's ACK that completes SYN → SYN+ACK → ACK onward (that
/// ACK included); a flow never seen from its SYN never becomes established. Other protocols are established
/// from the first packet of the reply direction onward.</item>
/// <item>A flow idle for <see cref="IdleTimeoutMicros"/> of frame time is forgotten.</item>
/// </list>
/// Fixed capacity, 4-way set-associative: a new flow replaces a stale entry in its set or, if none, the least
/// recently seen one (counted in <see cref="Evictions"/>). No allocation after construction.
/// </summary>
public sealed class FlowTable
{
    public const long IdleTimeoutMicros = 300_000_000;
    private const int Ways = 4;

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

    public int Count { get; private set; }

    public PacketFlow Update(Frame frame, ushort srcPort, ushort dstPort)
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
        ref var e = ref Find(set, a, b, portA, portB, protocol, now);
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
            };
            Count++;
        }

        e.LastSeen = now;
        bool toServer = srcIsA == e.ClientIsA;
        if (frame.IsTcp)
        {
            Advance(ref e, frame.TcpFlags, toServer);
        }
        else
        {
            e.Seen |= toServer ? SeenToServer : SeenToClient;
            if (e.Seen == (SeenToServer | SeenToClient))
            {
                e.Tcp = TcpState.Established;
            }
        }

        return new PacketFlow(toServer, e.Tcp == TcpState.Established);
    }

    private const byte SeenToServer = 1;
    private const byte SeenToClient = 2;

    private static bool IsSynAck(Frame frame) =>
        frame.IsTcp && (frame.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack);

    private static void Advance(ref Entry e, TcpFlags flags, bool toServer)
    {
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool ack = (flags & TcpFlags.Ack) != 0;
        bool rst = (flags & TcpFlags.Rst) != 0;
        switch (e.Tcp)
        {
            case TcpState.None when syn && !ack && toServer:
                e.Tcp = TcpState.SynSent;
                break;
            case TcpState.SynSent when syn && ack && !toServer:
                e.Tcp = TcpState.SynAckSeen;
                break;
            case TcpState.SynAckSeen when ack && !syn && !rst && toServer:
                e.Tcp = TcpState.Established;
                break;
        }
    }

    private ref Entry Find(int set, UInt128 a, UInt128 b, ushort portA, ushort portB, byte protocol, long now)
    {
        int victim = -1;
        long oldest = long.MaxValue;
        for (int i = set; i < set + Ways; i++)
        {
            ref var e = ref _entries[i];
            if (e.InUse && e.A == a && e.B == b && e.PortA == portA && e.PortB == portB && e.Protocol == protocol)
            {
                if (now - e.LastSeen <= IdleTimeoutMicros)
                {
                    return ref e;
                }

                e.InUse = false;
                Count--;
                return ref e;
            }

            long age = e.InUse ? (now - e.LastSeen > IdleTimeoutMicros ? long.MinValue : e.LastSeen) : long.MinValue;
            if (age < oldest)
            {
                oldest = age;
                victim = i;
            }
        }

        ref var slot = ref _entries[victim];
        if (slot.InUse)
        {
            if (now - slot.LastSeen <= IdleTimeoutMicros)
            {
                Evictions++;
            }

            slot.InUse = false;
            Count--;
        }

        return ref slot;
    }

    private static uint Hash(UInt128 a, UInt128 b, ushort portA, ushort portB, byte protocol)
    {
        ulong h = (ulong)a ^ ((ulong)(a >> 64) * 31) ^ ((ulong)b * 0x9E3779B97F4A7C15UL) ^ (ulong)(b >> 64);
        h ^= ((ulong)portA << 32) | ((ulong)portB << 16) | protocol;
        h *= 0xBF58476D1CE4E5B9UL;
        return (uint)(h ^ (h >> 31));
    }

    private enum TcpState : byte
    {
        None,
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
        public TcpState Tcp;
        public byte Seen;
        public long LastSeen;
    }
}
