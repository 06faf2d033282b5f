using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using PacketDotNet;
using PacketDotNet.Utils;

namespace KalkiEdge.UnitTests.Support;

/// <summary>Builds real Ethernet frames with PacketDotNet for tests (TEST-NET addresses only).</summary>
public static class Frames
{
    public const string DeviceMac = "02:00:00:00:00:01";
    public const string GatewayMac = "02:00:00:00:00:fe";
    public const string DeviceIp = "192.0.2.10";
    public const string CloudIp = "198.51.100.20";
    public const string AttackerIp = "203.0.113.66";

    public static byte[] Tcp(string srcIp, ushort srcPort, string dstIp, ushort dstPort, TcpFlagsBuilder flags, string payload = "", string srcMac = GatewayMac, string dstMac = DeviceMac) =>
        Tcp(srcIp, srcPort, dstIp, dstPort, flags, Encoding.ASCII.GetBytes(payload), srcMac, dstMac);

    public static byte[] Tcp(string srcIp, ushort srcPort, string dstIp, ushort dstPort, TcpFlagsBuilder flags, byte[] payload, string srcMac = GatewayMac, string dstMac = DeviceMac)
    {
        var tcp = new TcpPacket(srcPort, dstPort)
        {
            Synchronize = flags.Syn,
            Acknowledgment = flags.Ack,
            Finished = flags.Fin,
            Reset = flags.Rst,
            Push = flags.Psh,
            Urgent = flags.Urg,
            SequenceNumber = 1000,
            AcknowledgmentNumber = flags.Ack ? 1u : 0u,
            WindowSize = 64240,
            PayloadData = payload,
        };
        return Ip(srcIp, dstIp, tcp, srcMac, dstMac, p => tcp.UpdateTcpChecksum());
    }

    public static byte[] Udp(string srcIp, ushort srcPort, string dstIp, ushort dstPort, string payload = "", string srcMac = GatewayMac, string dstMac = DeviceMac)
    {
        var udp = new UdpPacket(srcPort, dstPort) { PayloadData = Encoding.ASCII.GetBytes(payload) };
        return Ip(srcIp, dstIp, udp, srcMac, dstMac, p => udp.UpdateUdpChecksum());
    }

    public static byte[] IcmpEcho(string srcIp, string dstIp, string srcMac = GatewayMac, string dstMac = DeviceMac)
    {
        var icmp = new IcmpV4Packet(new ByteArraySegment(new byte[8])) { TypeCode = IcmpV4TypeCode.EchoRequest, Id = 1, Sequence = 1 };
        icmp.UpdateIcmpChecksum();
        return Ip(srcIp, dstIp, icmp, srcMac, dstMac, _ => { }, ProtocolType.Icmp);
    }

    public static byte[] ArpReply(string senderMac, string senderIp, string targetMac, string targetIp, string? ethSrc = null, string? ethDst = null)
    {
        var arp = new ArpPacket(ArpOperation.Response, PhysicalAddress.Parse(Norm(targetMac)), IPAddress.Parse(targetIp), PhysicalAddress.Parse(Norm(senderMac)), IPAddress.Parse(senderIp));
        var eth = new EthernetPacket(PhysicalAddress.Parse(Norm(ethSrc ?? senderMac)), PhysicalAddress.Parse(Norm(ethDst ?? targetMac)), EthernetType.Arp) { PayloadPacket = arp };
        return eth.Bytes;
    }

    public static byte[] HttpRequest(string srcIp, string dstIp, ushort dstPort, string method, string path, string headers = "", string body = "", string srcMac = GatewayMac, string dstMac = DeviceMac)
    {
        var text = $"{method} {path} HTTP/1.1\r\nHost: {dstIp}\r\n{headers}Content-Length: {body.Length}\r\n\r\n{body}";
        return Tcp(srcIp, 40000, dstIp, dstPort, TcpFlagsBuilder.PshAck, text, srcMac, dstMac);
    }

    /// <summary><paramref name="frame"/> with one more VLAN tag (TPID <paramref name="tpid"/>, VLAN 42) in front of its EtherType.</summary>
    public static byte[] VlanTagged(byte[] frame, ushort tpid)
    {
        var tagged = new byte[frame.Length + 4];
        frame.AsSpan(0, 12).CopyTo(tagged);
        tagged[12] = (byte)(tpid >> 8);
        tagged[13] = (byte)tpid;
        tagged[15] = 42;
        frame.AsSpan(12).CopyTo(tagged.AsSpan(16));
        return tagged;
    }

    private static byte[] Ip(string srcIp, string dstIp, Packet l4, string srcMac, string dstMac, Action<Packet> checksum, ProtocolType? protocol = null)
    {
        var ip = new IPv4Packet(IPAddress.Parse(srcIp), IPAddress.Parse(dstIp)) { PayloadPacket = l4, TimeToLive = 64 };
        if (protocol is { } p)
        {
            ip.Protocol = p;
        }

        checksum(ip);
        ip.UpdateIPChecksum();
        var eth = new EthernetPacket(PhysicalAddress.Parse(Norm(srcMac)), PhysicalAddress.Parse(Norm(dstMac)), EthernetType.IPv4) { PayloadPacket = ip };
        return eth.Bytes;
    }

    private static string Norm(string mac) => mac.Replace(":", "-", StringComparison.Ordinal).ToUpperInvariant();
}

/// <summary>TCP flags for test frames.</summary>
public readonly record struct TcpFlagsBuilder(bool Syn = false, bool Ack = false, bool Fin = false, bool Rst = false, bool Psh = false, bool Urg = false)
{
    public static readonly TcpFlagsBuilder SynOnly = new(Syn: true);
    public static readonly TcpFlagsBuilder SynAck = new(Syn: true, Ack: true);
    public static readonly TcpFlagsBuilder AckOnly = new(Ack: true);
    public static readonly TcpFlagsBuilder PshAck = new(Ack: true, Psh: true);
    public static readonly TcpFlagsBuilder Xmas = new(Fin: true, Psh: true, Urg: true);
    public static readonly TcpFlagsBuilder NoFlags = new(Syn: false);
    public static readonly TcpFlagsBuilder FinOnly = new(Fin: true);
}
