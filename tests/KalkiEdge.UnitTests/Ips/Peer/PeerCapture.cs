using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using PacketDotNet;
using PacketDotNet.Utils;

namespace KalkiEdge.UnitTests.Ips.Peer;

/// <summary>
/// A generated capture for the peer check: real Ethernet/IPv4 packets built with PacketDotNet, each with its
/// own timestamp, written as a classic pcap file. TCP traffic is generated as complete, sequence-correct
/// conversations so Suricata's stream engine tracks them exactly as a real capture.
/// </summary>
public sealed class PeerCapture
{
    private static readonly PhysicalAddress MacA = PhysicalAddress.Parse("02-00-00-00-00-01");
    private static readonly PhysicalAddress MacB = PhysicalAddress.Parse("02-00-00-00-00-FE");
    private ushort _ipId = 1;

    /// <summary>Capture time of the next packet (microseconds since the epoch); advanced 1 ms per packet.</summary>
    public long NowMicros { get; set; } = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z

    public long StepMicros { get; set; } = 1000;

    public List<(long TimeMicros, byte[] Bytes)> Packets { get; } = [];

    /// <summary>Advances the clock (e.g. to cross a threshold window).</summary>
    public PeerCapture Wait(double seconds)
    {
        NowMicros += (long)(seconds * 1_000_000);
        return this;
    }

    public int Tcp(string src, ushort sport, string dst, ushort dport, TcpFlagsValue flags, uint seq = 1000, uint ack = 0, string payload = "", ushort window = 64240) =>
        Tcp(src, sport, dst, dport, flags, seq, ack, Encoding.Latin1.GetBytes(payload), window);

    public int Tcp(string src, ushort sport, string dst, ushort dport, TcpFlagsValue flags, uint seq, uint ack, byte[] payload, ushort window = 64240)
    {
        var tcp = new TcpPacket(sport, dport)
        {
            Flags = (ushort)flags,
            SequenceNumber = seq,
            AcknowledgmentNumber = ack,
            WindowSize = window,
            PayloadData = payload,
        };
        return Add(src, dst, tcp, ProtocolType.Tcp, ip => tcp.UpdateTcpChecksum());
    }

    public int Udp(string src, ushort sport, string dst, ushort dport, string payload) => Udp(src, sport, dst, dport, Encoding.Latin1.GetBytes(payload));

    public int Udp(string src, ushort sport, string dst, ushort dport, byte[] payload)
    {
        var udp = new UdpPacket(sport, dport) { PayloadData = payload };
        return Add(src, dst, udp, ProtocolType.Udp, ip => udp.UpdateUdpChecksum());
    }

    /// <summary>ICMP echo request (type 8) or reply (type 0) with id, sequence and a payload after the 8-byte header.</summary>
    public int IcmpEcho(string src, string dst, bool reply, ushort id, ushort sequence, string payload)
    {
        var data = Encoding.Latin1.GetBytes(payload);
        var bytes = new byte[8 + data.Length];
        bytes[0] = reply ? (byte)0 : (byte)8;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), sequence);
        data.CopyTo(bytes, 8);
        var icmp = new IcmpV4Packet(new ByteArraySegment(bytes));
        icmp.UpdateIcmpChecksum();
        return Add(src, dst, icmp, ProtocolType.Icmp, _ => { });
    }

    /// <summary>An IPv4 packet of another protocol (GRE, 47) carrying raw bytes.</summary>
    public int OtherIp(string src, string dst, byte protocol, string payload)
    {
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst))
        {
            Protocol = (ProtocolType)protocol,
            TimeToLive = 64,
            Id = _ipId++,
            PayloadData = Encoding.Latin1.GetBytes(payload),
        };
        ip.UpdateIPChecksum();
        return Append(new EthernetPacket(MacA, MacB, EthernetType.IPv4) { PayloadPacket = ip }.Bytes);
    }

    public TcpConversation Conversation(string client, ushort clientPort, string server, ushort serverPort) =>
        new(this, client, clientPort, server, serverPort);

    public void WritePcap(string path)
    {
        using var stream = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1); // LINKTYPE_ETHERNET
        stream.Write(header);
        Span<byte> record = stackalloc byte[16];
        foreach (var (time, bytes) in Packets)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(time / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(time % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)bytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)bytes.Length);
            stream.Write(record);
            stream.Write(bytes);
        }
    }

    private int Add(string src, string dst, Packet l4, ProtocolType protocol, Action<IPv4Packet> checksum)
    {
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { PayloadPacket = l4, TimeToLive = 64, Id = _ipId++ };
        ip.Protocol = protocol;
        checksum(ip);
        ip.UpdateIPChecksum();
        return Append(new EthernetPacket(MacA, MacB, EthernetType.IPv4) { PayloadPacket = ip }.Bytes);
    }

    private int Append(byte[] bytes)
    {
        Packets.Add((NowMicros, bytes));
        NowMicros += StepMicros;
        return Packets.Count;
    }
}

/// <summary>TCP flag bits as they appear in the header (byte 13).</summary>
[Flags]
public enum TcpFlagsValue : ushort
{
    None = 0,
    F = 0x01,
    S = 0x02,
    R = 0x04,
    P = 0x08,
    A = 0x10,
    U = 0x20,
    E = 0x40,
    C = 0x80,
}

/// <summary>A sequence-correct TCP conversation (strings are sent as Latin-1: one byte per character): handshake, data both ways (each acknowledged), orderly close.</summary>
public sealed class TcpConversation(PeerCapture capture, string client, ushort clientPort, string server, ushort serverPort)
{
    private uint _clientSeq = 1_000_000u + clientPort;
    private uint _serverSeq = 5_000_000u + serverPort;

    public TcpConversation Handshake()
    {
        capture.Tcp(client, clientPort, server, serverPort, TcpFlagsValue.S, _clientSeq, 0);
        _clientSeq++;
        capture.Tcp(server, serverPort, client, clientPort, TcpFlagsValue.S | TcpFlagsValue.A, _serverSeq, _clientSeq);
        _serverSeq++;
        capture.Tcp(client, clientPort, server, serverPort, TcpFlagsValue.A, _clientSeq, _serverSeq);
        return this;
    }

    /// <summary>Client sends data (returns its packet number); the server acknowledges it.</summary>
    public int ClientSends(string payload) => Send(true, Encoding.Latin1.GetBytes(payload));

    public int ServerSends(string payload) => Send(false, Encoding.Latin1.GetBytes(payload));

    public int ClientSends(byte[] payload) => Send(true, payload);

    /// <summary>
    /// Client sends <paramref name="payload"/> cut and ordered by <paramref name="strategy"/> (an evasion), then the
    /// server acknowledges all of it. Returns the packet numbers of the segments.
    /// </summary>
    public List<int> ClientSendsSegmented(string payload, SegmentationStrategy strategy)
    {
        var bytes = Encoding.Latin1.GetBytes(payload);
        var numbers = new List<int>();
        foreach (var (offset, data) in strategy.Segments(bytes))
        {
            numbers.Add(capture.Tcp(client, clientPort, server, serverPort, TcpFlagsValue.P | TcpFlagsValue.A, unchecked(_clientSeq + (uint)offset), _serverSeq, data));
        }

        _clientSeq += (uint)bytes.Length;
        capture.Tcp(server, serverPort, client, clientPort, TcpFlagsValue.A, _serverSeq, _clientSeq);
        return numbers;
    }

    public TcpConversation Close()
    {
        capture.Tcp(client, clientPort, server, serverPort, TcpFlagsValue.F | TcpFlagsValue.A, _clientSeq, _serverSeq);
        _clientSeq++;
        capture.Tcp(server, serverPort, client, clientPort, TcpFlagsValue.F | TcpFlagsValue.A, _serverSeq, _clientSeq);
        _serverSeq++;
        capture.Tcp(client, clientPort, server, serverPort, TcpFlagsValue.A, _clientSeq, _serverSeq);
        return this;
    }

    private int Send(bool fromClient, byte[] payload)
    {
        int number;
        if (fromClient)
        {
            number = capture.Tcp(client, clientPort, server, serverPort, TcpFlagsValue.P | TcpFlagsValue.A, _clientSeq, _serverSeq, payload);
            _clientSeq += (uint)payload.Length;
            capture.Tcp(server, serverPort, client, clientPort, TcpFlagsValue.A, _serverSeq, _clientSeq);
        }
        else
        {
            number = capture.Tcp(server, serverPort, client, clientPort, TcpFlagsValue.P | TcpFlagsValue.A, _serverSeq, _clientSeq, payload);
            _serverSeq += (uint)payload.Length;
            capture.Tcp(client, clientPort, server, serverPort, TcpFlagsValue.A, _clientSeq, _serverSeq);
        }

        return number;
    }
}
