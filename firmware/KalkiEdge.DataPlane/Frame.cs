using System.Buffers.Binary;
using KalkiEdge.Core;

namespace KalkiEdge.DataPlane;

/// <summary>Which way a frame crosses the appliance.</summary>
public enum Direction : byte
{
    /// <summary>Device port → uplink (device-originated).</summary>
    FromDevice,

    /// <summary>Uplink → device port.</summary>
    ToDevice,
}

public static class IpProtocols
{
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Esp = 50;
    public const byte Ah = 51;
    public const byte IcmpV6 = 58;
    public const byte IPv4InIp = 4;
    public const byte IPv6InIp = 41;
    public const byte Gre = 47;
    public const byte EtherIp = 97;

    /// <summary>IP tunnels: the appliance does not decapsulate, so the packet inside could not be checked.</summary>
    public static bool IsTunnel(byte protocol) => protocol is IPv4InIp or IPv6InIp or Gre or EtherIp;
}

[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
}

/// <summary>
/// One frame in flight. Instances are pooled and reused (the hot path allocates nothing per frame); header
/// fields above layer 2 are decoded once (<see cref="Decode"/>), by the engine before the identity checks and the
/// chain; frames for a chain that drops everything (block-all) are never decoded.
/// </summary>
public sealed class Frame
{
    public const int EthernetHeader = 14;

    private byte[] _buffer;
    private bool _decoded;

    public Frame(int capacity = 2048) => _buffer = new byte[capacity];

    public byte[] Buffer => _buffer;

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Data => _buffer.AsSpan(0, Length);

    public long TimestampMicros { get; set; }

    public Direction Direction { get; set; }

    /// <summary>Position of the frame in its source (1-based), for tracing alerts back to packets.</summary>
    public long Number { get; set; }

    /// <summary>The interface the frame came in on (set once per capture thread), or null (captures, tests).</summary>
    public string? Ingress { get; set; }

    // ---- Layer 2 (always valid once loaded) ----
    public ulong DstMac => Mac.Read(_buffer.AsSpan(0, 6));

    public ulong SrcMac => Mac.Read(_buffer.AsSpan(6, 6));

    // ---- Decoded on demand ----
    public ushort EtherType { get; private set; }

    public int L3Offset { get; private set; }

    public bool IsIPv4 => EtherType == EtherTypes.IPv4;

    public bool IsIPv6 => EtherType == EtherTypes.IPv6;

    public bool IsIp => IsIPv4 || IsIPv6;

    public bool IsArp => EtherType == EtherTypes.Arp;

    public byte IpProtocol { get; private set; }

    public UInt128 SrcIp { get; private set; }

    public UInt128 DstIp { get; private set; }

    /// <summary>
    /// True for IPv4 and IPv6 fragments after the first: they carry no layer-4 header, so they match rules by
    /// protocol only. The first fragment must hold every header up to and including the transport header (or the
    /// frame is malformed), so a first fragment dropped by a port rule leaves its later fragments nothing to
    /// reassemble with; a later fragment overlapping the transport header of the first is malformed.
    /// </summary>
    public bool IsLaterFragment { get; private set; }

    /// <summary>True for any fragment of a larger IP packet (first or later).</summary>
    public bool IsFragment { get; private set; }

    public int L4Offset { get; private set; }

    public ushort SrcPort { get; private set; }

    public ushort DstPort { get; private set; }

    public TcpFlags TcpFlags { get; private set; }

    public int PayloadOffset { get; private set; }

    public int PayloadLength { get; private set; }

    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(PayloadOffset, PayloadLength);

    public ushort ArpOperation { get; private set; }

    public ulong ArpSenderMac { get; private set; }

    public UInt128 ArpSenderIp { get; private set; }

    public UInt128 ArpTargetIp { get; private set; }

    /// <summary>Why the frame is malformed, or null. Malformed frames are counted and dropped, never forwarded.</summary>
    public string? Malformation { get; private set; }

    public bool IsTcp => IpProtocol == IpProtocols.Tcp && L4Offset > 0;

    public bool IsUdp => IpProtocol == IpProtocols.Udp && L4Offset > 0;

    public bool IsIcmp => (IpProtocol == IpProtocols.Icmp || IpProtocol == IpProtocols.IcmpV6) && L4Offset > 0;

    /// <summary>The IP 5-tuple by value (for alerts; decodes if not yet done), or null for frames without a valid IP header.</summary>
    public FlowTuple? ReadFlow() => Decode() && IsIp ? new FlowTuple(SrcIp, DstIp, SrcPort, DstPort, IpProtocol) : null;

    /// <summary>Loads bytes into the frame, growing the buffer only if a frame is larger than any before.</summary>
    public void Load(ReadOnlySpan<byte> bytes, long timestampMicros, Direction direction)
    {
        if (bytes.Length > _buffer.Length)
        {
            _buffer = new byte[Math.Max(bytes.Length, _buffer.Length * 2)];
        }

        bytes.CopyTo(_buffer);
        Length = bytes.Length;
        TimestampMicros = timestampMicros;
        Direction = direction;
        Reset();
    }

    /// <summary>Makes this frame a copy of <paramref name="other"/>: its bytes, time, direction, number and ingress (a frame held past its source's next read).</summary>
    public void CopyFrom(Frame other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Load(other.Data, other.TimestampMicros, other.Direction);
        Number = other.Number;
        Ingress = other.Ingress;
    }

    /// <summary>Gives write access for elements that build a frame in place (e.g. replies).</summary>
    public Span<byte> Prepare(int length, long timestampMicros, Direction direction)
    {
        if (length > _buffer.Length)
        {
            _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        }

        Length = length;
        TimestampMicros = timestampMicros;
        Direction = direction;
        Reset();
        return _buffer.AsSpan(0, length);
    }

    /// <summary>Runt frames (shorter than an Ethernet header) are malformed before anything else is read.</summary>
    public bool HasEthernetHeader => Length >= EthernetHeader;

    /// <summary>Decodes layers 3 and 4 once. Returns false if the frame is malformed (see <see cref="Malformation"/>).</summary>
    public bool Decode()
    {
        if (!_decoded)
        {
            _decoded = true;
            Malformation = DecodeHeaders();
        }

        return Malformation is null;
    }

    private void Reset()
    {
        _decoded = false;
        Malformation = null;
        EtherType = 0;
        L3Offset = 0;
        IpProtocol = 0;
        SrcIp = 0;
        DstIp = 0;
        IsLaterFragment = false;
        IsFragment = false;
        L4Offset = 0;
        SrcPort = 0;
        DstPort = 0;
        TcpFlags = TcpFlags.None;
        PayloadOffset = 0;
        PayloadLength = 0;
        ArpOperation = 0;
        ArpSenderMac = 0;
        ArpSenderIp = 0;
        ArpTargetIp = 0;
    }

    // Constants, so a flood of them allocates nothing. No device's chain could see what is inside, so they are
    // dropped rather than forwarded unseen.
    private const string Tunnel = "tunnelled packet (IP-in-IP, GRE or EtherIP): not decapsulated, its inner packet could not be checked";
    private const string UnopenedEncapsulation = "MPLS or PPPoE encapsulation: not opened, its inner packet could not be checked";

    private string? DecodeHeaders()
    {
        var d = Data;
        switch (EtherTypes.BehindVlans(d, out var type, out var l3Offset))
        {
            case EtherTypeRead.Runt:
                return "runt frame: shorter than an Ethernet header (14 bytes)"; // constant: a flood of runts allocates nothing
            case EtherTypeRead.TruncatedVlanTag or EtherTypeRead.TooManyVlanTags:
                return "truncated or over-stacked VLAN tags";
        }

        EtherType = type;
        L3Offset = l3Offset;
        if (EtherTypes.IsUnopenedEncapsulation(type))
        {
            return UnopenedEncapsulation;
        }

        return type switch
        {
            EtherTypes.IPv4 => DecodeIPv4(d),
            EtherTypes.IPv6 => DecodeIPv6(d),
            EtherTypes.Arp => DecodeArp(d),
            _ => null,
        };
    }

    private string? DecodeIPv4(ReadOnlySpan<byte> d)
    {
        var ip = d[L3Offset..];
        if (ip.Length < 20)
        {
            return "truncated IPv4 header";
        }

        if (ip[0] >> 4 != 4)
        {
            return $"IPv4 ethertype but IP version {ip[0] >> 4}";
        }

        int ihl = (ip[0] & 0x0F) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (ihl < 20 || ip.Length < ihl || total < ihl || total > ip.Length)
        {
            return $"bad IPv4 lengths (header {ihl}, total {total}, captured {ip.Length})";
        }

        IpProtocol = ip[9];
        SrcIp = Ip.ReadV4(ip[12..]);
        DstIp = Ip.ReadV4(ip[16..]);
        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        int fragmentOffset = (fragment & 0x1FFF) * 8;
        IsFragment = (fragment & 0x3FFF) != 0;
        if (fragmentOffset != 0)
        {
            return LaterFragment(fragmentOffset);
        }

        return DecodeTransport(L3Offset + ihl, L3Offset + total, IpProtocol, ipv6: false);
    }

    private string? DecodeIPv6(ReadOnlySpan<byte> d)
    {
        var ip = d[L3Offset..];
        if (ip.Length < 40)
        {
            return "truncated IPv6 header";
        }

        int payload = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        if (40 + payload > ip.Length)
        {
            return $"IPv6 payload length {payload} exceeds the captured {ip.Length - 40} bytes";
        }

        SrcIp = Ip.ReadV6(ip[8..]);
        DstIp = Ip.ReadV6(ip[24..]);
        return DecodeTransport(L3Offset + 40, L3Offset + 40 + payload, ip[6], ipv6: true);
    }

    /// <summary>
    /// Walks the IP extension headers from <paramref name="start"/> (IPv6: Hop-by-Hop, Routing, Fragment,
    /// Destination Options, AH and the other RFC 6564-format headers; IPv4: AH) to the transport header and
    /// decodes it. ESP is opaque: it is the protocol. A chain that is truncated, longer than
    /// <see cref="IpExtensionHeaders.MaxCount"/> headers or out of order is malformed, so nothing reaches a
    /// device with a transport header the chain did not see.
    /// </summary>
    private string? DecodeTransport(int start, int end, byte next, bool ipv6)
    {
        for (int count = 0; IpExtensionHeaders.IsExtension(next, ipv6); count++)
        {
            if (count == IpExtensionHeaders.MaxCount)
            {
                return $"more than {IpExtensionHeaders.MaxCount} IP extension headers";
            }

            if (next == IpExtensionHeaders.HopByHop && count > 0)
            {
                return "IPv6 Hop-by-Hop options header not directly after the IPv6 header";
            }

            if (end - start < 8)
            {
                return $"truncated IP extension header {next}";
            }

            var h = _buffer.AsSpan(start, 8);
            int length = IpExtensionHeaders.Length(next, h);
            if (length > end - start)
            {
                return $"IP extension header {next} of {length} bytes exceeds the {end - start} bytes left";
            }

            if (next == IpExtensionHeaders.Routing && h[2] == 0 && h[3] != 0)
            {
                return "deprecated type 0 IPv6 routing header";
            }

            if (next == IpExtensionHeaders.Fragment)
            {
                int offset = BinaryPrimitives.ReadUInt16BigEndian(h[2..]) & 0xFFF8;
                IsFragment |= offset != 0 || (h[3] & 1) != 0;
                if (offset != 0)
                {
                    IpProtocol = h[0];
                    return LaterFragment(offset);
                }
            }

            next = h[0];
            start += length;
        }

        IpProtocol = next;
        return IpProtocols.IsTunnel(next) ? Tunnel : DecodeL4(start, end);
    }

    /// <summary>
    /// A fragment after the first carries no transport header. One that starts inside the first fragment's
    /// TCP header could rewrite its ports or flags after the chain saw them (RFC 1858), so it is malformed.
    /// </summary>
    private string? LaterFragment(int offset)
    {
        IsLaterFragment = true;
        IsFragment = true;
        if (IpProtocols.IsTunnel(IpProtocol))
        {
            return Tunnel;
        }

        return IpProtocol == IpProtocols.Tcp && offset < 20 ? $"TCP fragment at offset {offset} overlaps the TCP header" : null;
    }

    private string? DecodeL4(int start, int end)
    {
        var l4 = _buffer.AsSpan(start, end - start);
        switch (IpProtocol)
        {
            case IpProtocols.Tcp:
                if (l4.Length < 20)
                {
                    return "truncated TCP header";
                }

                int dataOffset = (l4[12] >> 4) * 4;
                if (dataOffset < 20 || dataOffset > l4.Length)
                {
                    return $"bad TCP data offset {dataOffset}";
                }

                SetPorts(l4, start);
                TcpFlags = (TcpFlags)l4[13];
                PayloadOffset = start + dataOffset;
                break;
            case IpProtocols.Udp:
                if (l4.Length < 8)
                {
                    return "truncated UDP header";
                }

                // A first fragment carries the whole datagram's length; otherwise it must fit what was received.
                int udpLength = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
                if (udpLength < 8 || (!IsFragment && udpLength > l4.Length))
                {
                    return $"bad UDP length {udpLength} ({l4.Length} bytes after the IP headers)";
                }

                SetPorts(l4, start);
                PayloadOffset = start + 8;
                if (!IsFragment)
                {
                    end = start + udpLength;
                }

                break;
            case IpProtocols.Icmp or IpProtocols.IcmpV6:
                if (l4.Length < 4)
                {
                    return "truncated ICMP header";
                }

                L4Offset = start;
                PayloadOffset = start + 4;
                break;
            default:
                PayloadOffset = start;
                break;
        }

        PayloadLength = end - PayloadOffset;
        return null;
    }

    private void SetPorts(ReadOnlySpan<byte> l4, int start)
    {
        L4Offset = start;
        SrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
        DstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
    }

    private string? DecodeArp(ReadOnlySpan<byte> d)
    {
        var a = d[L3Offset..];
        if (a.Length < 28)
        {
            return "truncated ARP packet";
        }

        // Only Ethernet/IPv4 ARP is meaningful on this segment; anything else is left undecoded.
        if (BinaryPrimitives.ReadUInt16BigEndian(a) != 1 || BinaryPrimitives.ReadUInt16BigEndian(a[2..]) != EtherTypes.IPv4 || a[4] != 6 || a[5] != 4)
        {
            return "ARP for a hardware/protocol pair other than Ethernet/IPv4";
        }

        ArpOperation = BinaryPrimitives.ReadUInt16BigEndian(a[6..]);
        ArpSenderMac = Mac.Read(a[8..]);
        ArpSenderIp = Ip.ReadV4(a[14..]);
        ArpTargetIp = Ip.ReadV4(a[24..]);
        return null;
    }
}
