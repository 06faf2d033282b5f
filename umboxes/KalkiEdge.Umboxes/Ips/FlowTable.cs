using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Common;

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
/// Bounded, 4-way set-associative (<see cref="SetAssociativeTable{TKey, TValue}"/>): storage starts at a few
/// entries and doubles when a new flow finds its set full, up to the capacity (most devices talk to a few hosts, and a
/// thousand devices each paying for the whole table cost megabytes and the time to clear them); growth keeps every
/// live flow. At full size a new flow replaces an expired entry in its set or, if none, the least recently seen one
/// (counted in <see cref="Evictions"/>), so a flood of flows never grows it further. A tracked TCP session's
/// reassembly state lives in its flow's entry and goes back to <see cref="TcpSessions"/> when the entry is let go.
/// Nothing is allocated per packet once the table has reached its size.
/// </summary>
public sealed class FlowTable
{
    private const int Ways = 4;
    private const byte SeenToServer = 1;
    private const byte SeenToClient = 2;

    // The longest timeout (established TCP); each entry's own is set after every packet.
    private const long LongestTimeoutMicros = 600_000_000;

    private readonly SetAssociativeTable<Key, Entry> _entries;
    private readonly TcpSessions? _sessions;
    private uint _generations;

    /// <param name="sessions">Where tracked TCP sessions' reassembly state comes from (null: <see cref="Session"/> is not used).</param>
    public FlowTable(int capacity, TcpSessions? sessions = null)
    {
        _sessions = sessions;
        Action<Entry>? released = sessions is null ? null : e =>
        {
            if (e.Session is { } session)
            {
                sessions.Return(session);
            }
        };
        _entries = new SetAssociativeTable<Key, Entry>(static k => k.Hash(), capacity, LongestTimeoutMicros, ways: Ways, released: released);
    }

    /// <summary>The most flows the table holds at once.</summary>
    public int Capacity => _entries.Capacity;

    /// <summary>Entries allocated so far (0 before the first flow, then doubling up to <see cref="Capacity"/>).</summary>
    public int Size => _entries.Size;

    public long Evictions => _entries.Evictions;

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

        var key = new Key(a, b, portA, portB, protocol);
        if (!create && _entries.Find(key, now) < 0)
        {
            return null;
        }

        int slot = _entries.Acquire(key, now, out bool created);
        ref var e = ref _entries[slot];
        if (created)
        {
            e = new Entry
            {
                Protocol = protocol,
                // A SYN+ACK first means we joined after the SYN: its receiver is the client.
                ClientIsA = IsSynAck(frame) ? !srcIsA : srcIsA,
                Generation = unchecked(++_generations),
            };
        }

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

        _entries.ExpireAt(slot, now + TimeoutMicros(e));
        return new PacketFlow(toServer, established, first, e.SynSeen, slot, e.Generation, e.Dropped);
    }

    /// <summary>A drop rule matched: the flow's later packets are dropped uninspected (Suricata's flow drop).</summary>
    public void Drop(in PacketFlow flow)
    {
        ref var e = ref _entries[flow.Slot];
        if (e.Generation == flow.Generation)
        {
            e.Dropped = true;
        }
    }

    /// <summary>
    /// The reassembly state of <paramref name="flow"/>'s TCP session (the flow of the packet just given to
    /// <see cref="Update"/>), taken from the pool at its first use.
    /// </summary>
    public TcpSession Session(in PacketFlow flow)
    {
        ref var e = ref _entries[flow.Slot];
        return e.Session ??= (_sessions ?? throw new InvalidOperationException("flow table made without TCP sessions: pass a TcpSessions to track them")).Take();
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

    private enum FlowState : byte
    {
        New,
        SynSent,
        SynAckSeen,
        Established,
    }

    /// <summary>A flow's endpoints in a canonical order (A is the lower address, or port on equal addresses).</summary>
    private readonly record struct Key(UInt128 A, UInt128 B, ushort PortA, ushort PortB, byte Protocol)
    {
        public ulong Hash()
        {
            ulong h = (ulong)A ^ ((ulong)(A >> 64) * 31) ^ ((ulong)B * 0x9E3779B97F4A7C15UL) ^ (ulong)(B >> 64);
            h ^= ((ulong)PortA << 32) | ((ulong)PortB << 16) | Protocol;
            h *= 0xBF58476D1CE4E5B9UL;
            return h ^ (h >> 31);
        }
    }

    private struct Entry
    {
        public byte Protocol;
        public bool ClientIsA;
        public FlowState State;
        public bool SynSeen;
        public byte Seen;
        // Unique per flow the table has held (a table-wide counter), so state kept elsewhere per slot knows when it is stale.
        public uint Generation;

        public bool Dropped;

        // The TCP session's reassembly state, once some packet of the flow needed it.
        public TcpSession? Session;
    }
}
