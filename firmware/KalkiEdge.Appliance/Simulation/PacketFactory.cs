using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using PacketDotNet;
using PacketDotNet.Utils;

namespace KalkiEdge.Appliance.Simulation;

/// <summary>An endpoint on the simulated site: MAC and IPv4 address.</summary>
public sealed record Host(string Name, string Mac, string Ip)
{
    internal PhysicalAddress Physical => PhysicalAddress.Parse(Mac.Replace(':', '-').ToUpperInvariant());

    internal IPAddress Address => IPAddress.Parse(Ip);
}

/// <summary>Builds well-formed frames (checksums included) with PacketDotNet for scenarios and benchmarks.</summary>
public static class PacketFactory
{
    public static byte[] Tcp(Host from, Host to, ushort srcPort, ushort dstPort, bool syn, bool ack, bool fin, uint seq, uint ackNo, ReadOnlySpan<byte> payload, bool psh = false, bool urg = false, bool rst = false)
    {
        var tcp = new TcpPacket(srcPort, dstPort)
        {
            Synchronize = syn,
            Acknowledgment = ack,
            Finished = fin,
            Push = psh,
            Urgent = urg,
            Reset = rst,
            SequenceNumber = seq,
            AcknowledgmentNumber = ackNo,
            WindowSize = 64240,
            PayloadData = payload.ToArray(),
        };
        return Ipv4(from, to, tcp, () => tcp.UpdateTcpChecksum());
    }

    public static byte[] Udp(Host from, Host to, ushort srcPort, ushort dstPort, ReadOnlySpan<byte> payload)
    {
        var udp = new UdpPacket(srcPort, dstPort) { PayloadData = payload.ToArray() };
        return Ipv4(from, to, udp, () => udp.UpdateUdpChecksum());
    }

    public static byte[] IcmpEcho(Host from, Host to, ushort sequence, bool reply = false)
    {
        var icmp = new IcmpV4Packet(new ByteArraySegment(new byte[8 + 32]))
        {
            TypeCode = reply ? IcmpV4TypeCode.EchoReply : IcmpV4TypeCode.EchoRequest,
            Id = 7,
            Sequence = sequence,
        };
        icmp.UpdateIcmpChecksum();
        return Ipv4(from, to, icmp, () => { }, ProtocolType.Icmp);
    }

    /// <summary>ICMP destination unreachable (code 3: port) quoting the IP header and first 8 bytes of the offending frame.</summary>
    public static byte[] IcmpUnreachable(Host from, Host to, byte code, ReadOnlySpan<byte> offendingFrame)
    {
        const int EthernetHeader = 14;
        int quoted = Math.Min(offendingFrame.Length - EthernetHeader, 20 + 8);
        var bytes = new byte[8 + quoted];
        offendingFrame.Slice(EthernetHeader, quoted).CopyTo(bytes.AsSpan(8));
        var icmp = new IcmpV4Packet(new ByteArraySegment(bytes)) { TypeCode = (IcmpV4TypeCode)((3 << 8) | code) };
        icmp.UpdateIcmpChecksum();
        return Ipv4(from, to, icmp, () => { }, ProtocolType.Icmp);
    }

    public static byte[] ArpReply(Host claimed, string senderMac, Host target, string? ethernetSource = null)
    {
        var sender = PhysicalAddress.Parse(senderMac.Replace(':', '-').ToUpperInvariant());
        var arp = new ArpPacket(ArpOperation.Response, target.Physical, target.Address, sender, claimed.Address);
        var ethSrc = ethernetSource is null ? sender : PhysicalAddress.Parse(ethernetSource.Replace(':', '-').ToUpperInvariant());
        return new EthernetPacket(ethSrc, target.Physical, EthernetType.Arp) { PayloadPacket = arp }.Bytes;
    }

    public static byte[] ArpRequest(Host from, string targetIp)
    {
        var arp = new ArpPacket(ArpOperation.Request, PhysicalAddress.Parse("00-00-00-00-00-00"), IPAddress.Parse(targetIp), from.Physical, from.Address);
        return new EthernetPacket(from.Physical, PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF"), EthernetType.Arp) { PayloadPacket = arp }.Bytes;
    }

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Ipv4(Host from, Host to, Packet l4, Action checksum, ProtocolType? protocol = null)
    {
        var ip = new IPv4Packet(from.Address, to.Address) { PayloadPacket = l4, TimeToLive = 64 };
        if (protocol is { } p)
        {
            ip.Protocol = p;
        }

        checksum();
        ip.UpdateIPChecksum();
        return new EthernetPacket(from.Physical, to.Physical, EthernetType.IPv4) { PayloadPacket = ip }.Bytes;
    }
}
