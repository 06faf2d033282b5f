using KalkiEdge.Appliance.Simulation;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>nmap's scan types: which TCP flags (or UDP) each probe carries.</summary>
public enum ScanType
{
    Syn, // -sS
    Fin, // -sF
    Xmas, // -sX: FIN+PSH+URG
    Null, // -sN
    Ack, // -sA
    Udp, // -sU
}

/// <summary>
/// Deterministic captures written from the protocols and the attack tools, not from the repository's fixtures:
/// nmap scans as RFC 793 stacks answer them (SYN to an open port → SYN/ACK then the scanner's RST; closed →
/// RST/ACK; FIN/XMAS/NULL → RST/ACK from closed ports, silence from open ones; ACK → RST either way; UDP to a
/// closed port → ICMP port unreachable), at nmap's -T4 (one probe a millisecond) and -T1 "sneaky" (15 s between
/// probes) timings; hping3 SYN floods (incrementing source port) and connect floods (complete handshakes); and
/// the device's own benign life (DNS, NTP, HTTPS polls to its cloud, users polling its service). Every answer
/// arrives after a small seeded round-trip time, so the same arguments always give the same capture.
/// </summary>
public sealed class ProbeCorpus(Timeline timeline, SimHost device, IReadOnlySet<ushort> openTcpPorts, int seed = 7)
{
    public const long Millisecond = 1_000;
    public const long Second = 1_000_000;

    /// <summary>nmap -T4: scan_delay 0, a probe about every millisecond.</summary>
    public const long T4Spacing = Millisecond;

    /// <summary>nmap -T1 (sneaky): 15 s between probes.</summary>
    public const long T1Spacing = 15 * Second;

    /// <summary>The start of nmap's top-ports order (nmap-services frequencies), then ascending ports.</summary>
    public static readonly ushort[] TopPorts =
    [
        80, 23, 443, 21, 22, 25, 3389, 110, 445, 139, 143, 53, 135, 3306, 8080, 1723, 111, 995, 993, 5900,
        1025, 587, 8888, 199, 1720, 465, 548, 113, 81, 6001, 10000, 514, 5060, 179, 1026, 2000, 8443, 8000, 32768, 554,
    ];

    private readonly Random _random = new(seed);

    public Timeline Timeline => timeline;

    /// <summary>Round-trip jitter of a LAN stack: 200–800 µs.</summary>
    private long Rtt => 200 + _random.Next(600);

    /// <summary>
    /// nmap scan of <paramref name="ports"/> ports (top ports first) from the scanners in turn (one scanner, or a
    /// few splitting the work), one probe every <paramref name="spacing"/>; returns the time after the last answer.
    /// </summary>
    public long Scan(ScanType type, IReadOnlyList<SimHost> scanners, int ports, long at, long spacing)
    {
        // nmap keeps one source port per scan and picks sequence numbers at random.
        ushort sourcePort = (ushort)(40000 + _random.Next(20000));
        for (int i = 0; i < ports; i++)
        {
            var scanner = scanners[i % scanners.Count];
            ushort port = PortAt(i);
            Probe(type, scanner, sourcePort, port, at);
            at += spacing;
        }

        return at + Second;
    }

    /// <summary>One probe and the device's answer to it (per RFC 793 for TCP, RFC 792/1122 for UDP).</summary>
    public void Probe(ScanType type, SimHost scanner, ushort sourcePort, ushort port, long at)
    {
        uint seq = (uint)_random.Next();
        bool open = openTcpPorts.Contains(port);
        long answerAt = at + Rtt;
        switch (type)
        {
            case ScanType.Syn:
                timeline.Add(at, PacketFactory.Tcp(scanner, device, sourcePort, port, syn: true, ack: false, fin: false, seq, 0, []));
                if (open)
                {
                    uint isn = (uint)_random.Next();
                    timeline.Add(answerAt, PacketFactory.Tcp(device, scanner, port, sourcePort, syn: true, ack: true, fin: false, isn, seq + 1, []));
                    // The scanner's kernel never opened the connection: it resets it.
                    timeline.Add(answerAt + Rtt, PacketFactory.Tcp(scanner, device, sourcePort, port, syn: false, ack: false, fin: false, seq + 1, 0, [], rst: true));
                }
                else
                {
                    timeline.Add(answerAt, ResetAck(scanner, sourcePort, port, seq + 1));
                }

                break;
            case ScanType.Fin or ScanType.Xmas or ScanType.Null:
                bool fin = type != ScanType.Null;
                bool xmas = type == ScanType.Xmas;
                timeline.Add(at, PacketFactory.Tcp(scanner, device, sourcePort, port, syn: false, ack: false, fin, seq, 0, [], psh: xmas, urg: xmas));
                if (!open)
                {
                    timeline.Add(answerAt, ResetAck(scanner, sourcePort, port, seq + (fin ? 1u : 0u)));
                }

                break;
            case ScanType.Ack:
                uint ackNo = (uint)_random.Next();
                timeline.Add(at, PacketFactory.Tcp(scanner, device, sourcePort, port, syn: false, ack: true, fin: false, seq, ackNo, []));
                // RFC 793: a segment with ACK to no connection gets a RST whose sequence is that ACK number.
                timeline.Add(answerAt, PacketFactory.Tcp(device, scanner, port, sourcePort, syn: false, ack: false, fin: false, ackNo, 0, [], rst: true));
                break;
            case ScanType.Udp:
                var probe = PacketFactory.Udp(scanner, device, sourcePort, port, []);
                timeline.Add(at, probe);
                timeline.Add(answerAt, PacketFactory.IcmpUnreachable(device, scanner, 3, probe));
                break;
        }
    }

    /// <summary>hping3 -S --flood -p <paramref name="port"/>: SYNs back to back, source port incrementing; the device answers each.</summary>
    public long SynFlood(SimHost attacker, ushort port, int packets, long at, long spacing = 20)
    {
        for (int i = 0; i < packets; i++)
        {
            ushort sourcePort = (ushort)(1024 + (i % 60000));
            uint seq = (uint)_random.Next();
            timeline.Add(at, PacketFactory.Tcp(attacker, device, sourcePort, port, syn: true, ack: false, fin: false, seq, 0, []));
            timeline.Add(at + Rtt, openTcpPorts.Contains(port)
                ? PacketFactory.Tcp(device, attacker, port, sourcePort, syn: true, ack: true, fin: false, (uint)_random.Next(), seq + 1, [])
                : ResetAck(attacker, sourcePort, port, seq + 1));
            at += spacing;
        }

        return at + Second;
    }

    /// <summary>A connect flood: complete handshakes to an open port, each closed at once (full seq/ack arithmetic).</summary>
    public long ConnectFlood(SimHost attacker, ushort port, int connections, long at, long spacing = 10 * Millisecond)
    {
        for (int i = 0; i < connections; i++)
        {
            timeline.TcpSession(at, attacker, device, (ushort)(30000 + i), port,
                PacketFactory.Ascii($"GET / HTTP/1.1\r\nHost: {device.Ip}\r\n\r\n"), PacketFactory.Ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), stepMicros: Rtt);
            at += spacing;
        }

        return at + Second;
    }

    /// <summary>
    /// The device's ordinary life for <paramref name="minutes"/>: a DNS lookup and an HTTPS poll of its cloud every
    /// minute, NTP every 5 minutes, and a user reading its status on <paramref name="servicePort"/> every 30 s.
    /// </summary>
    public long Benign(SimHost dns, SimHost ntp, SimHost cloud, SimHost user, ushort servicePort, int minutes, long at)
    {
        for (int m = 0; m < minutes; m++)
        {
            long minute = at + (m * 60 * Second);
            ushort dnsPort = (ushort)(33000 + _random.Next(20000));
            var query = DnsQuery((ushort)_random.Next(65536), "api.example.com");
            timeline.Add(minute, PacketFactory.Udp(device, dns, dnsPort, 53, query));
            timeline.Add(minute + (10 * Millisecond), PacketFactory.Udp(dns, device, 53, dnsPort, DnsAnswer(query)));
            timeline.TcpSession(minute + (20 * Millisecond), device, cloud, (ushort)(40000 + m), 443,
                PacketFactory.Ascii("\x16\x03\x01\x00\x05hello"), PacketFactory.Ascii("\x16\x03\x03\x00\x05hello"), stepMicros: 15 * Millisecond);
            if (m % 5 == 0)
            {
                ushort ntpPort = (ushort)(33000 + _random.Next(20000));
                var request = new byte[48];
                request[0] = 0x23; // LI 0, version 4, mode 3 (client)
                timeline.Add(minute + (500 * Millisecond), PacketFactory.Udp(device, ntp, ntpPort, 123, request));
                var reply = (byte[])request.Clone();
                reply[0] = 0x24; // mode 4 (server)
                timeline.Add(minute + (520 * Millisecond), PacketFactory.Udp(ntp, device, 123, ntpPort, reply));
            }

            for (int half = 0; half < 2; half++)
            {
                timeline.TcpSession(minute + ((5 + (30 * half)) * Second), user, device, (ushort)(45000 + (2 * m) + half), servicePort,
                    PacketFactory.Ascii($"GET /status HTTP/1.1\r\nHost: {device.Ip}\r\n\r\n"), PacketFactory.Ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
            }
        }

        return at + (minutes * 60 * Second);
    }

    /// <summary>
    /// A Linux board's boot and the first hour of its lease, as dhcpcd, the kernel and avahi send them: DHCP
    /// DISCOVER/OFFER/REQUEST/ACK from 0.0.0.0, three ARP probes and two announcements (RFC 5227), an IGMPv3
    /// report joining the mDNS group, avahi's probe and announcements of its services, then renewals at half
    /// the lease (unicast REQUEST to the server) and mDNS questions, once per <paramref name="renewMinutes"/>.
    /// </summary>
    public long Boot(SimHost dhcpServer, string hostName, int minutes, int renewMinutes, long at)
    {
        var unconfigured = device with { Ip = "0.0.0.0" };
        var broadcast = new SimHost("broadcast", "ff:ff:ff:ff:ff:ff", "255.255.255.255");
        var mdnsGroup = new SimHost("mdns", "01:00:5e:00:00:fb", "224.0.0.251");
        var family = new FamilyIntroduction("udoo-neo", hostName, "dhcpcd-6.10.1:Linux-3.14.56:armv7l:Freescale i.MX6 SoloX", [1, 121, 33, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119]);
        timeline.Add(at, PacketFactory.Udp(unconfigured, broadcast, 68, 67, PairingTraffic.Dhcp(family, device, 1)));
        timeline.Add(at + (5 * Millisecond), PacketFactory.Udp(dhcpServer, broadcast, 67, 68, PairingTraffic.Dhcp(family, device, 2)));
        timeline.Add(at + (10 * Millisecond), PacketFactory.Udp(unconfigured, broadcast, 68, 67, PairingTraffic.Dhcp(family, device, 3)));
        timeline.Add(at + (15 * Millisecond), PacketFactory.Udp(dhcpServer, broadcast, 67, 68, PairingTraffic.Dhcp(family, device, 5)));
        at += Second;
        for (int i = 0; i < 3; i++)
        {
            timeline.Add(at + (i * Second), PacketFactory.ArpRequest(unconfigured, device.Ip));
        }

        for (int i = 0; i < 2; i++)
        {
            timeline.Add(at + ((3 + (2 * i)) * Second), PacketFactory.ArpRequest(device, device.Ip));
        }

        at += 8 * Second;
        timeline.Add(at, Igmp3JoinReport(device, "224.0.0.251"));
        for (int i = 0; i < 3; i++)
        {
            timeline.Add(at + ((250 + (250 * i)) * Millisecond), PacketFactory.Udp(device, mdnsGroup, 5353, 5353, PairingTraffic.MdnsAnnouncement("_ssh._tcp", hostName)));
            timeline.Add(at + ((260 + (250 * i)) * Millisecond), PacketFactory.Udp(device, mdnsGroup, 5353, 5353, PairingTraffic.MdnsAnnouncement("_workstation._tcp", hostName)));
        }

        for (long m = renewMinutes; m <= minutes; m += renewMinutes)
        {
            var when = at + (m * 60 * Second);
            timeline.Add(when, PacketFactory.Udp(device, dhcpServer, 68, 67, PairingTraffic.Dhcp(family, device, 3)));
            timeline.Add(when + (3 * Millisecond), PacketFactory.Udp(dhcpServer, device, 67, 68, PairingTraffic.Dhcp(family, device, 5)));
            timeline.Add(when + (2 * Second), PacketFactory.Udp(device, mdnsGroup, 5353, 5353, PairingTraffic.MdnsAnnouncement("_ssh._tcp", hostName)));
        }

        return at + (minutes * 60 * Second) + Second;
    }

    /// <summary>RFC 3376 membership report (to 224.0.0.22, TTL 1, Router Alert): one group record, CHANGE_TO_EXCLUDE, no sources.</summary>
    internal static byte[] Igmp3JoinReport(SimHost from, string group)
    {
        byte[] igmp = [0x22, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, .. System.Net.IPAddress.Parse(group).GetAddressBytes()];
        Checksum(igmp, 2);
        byte[] ip = [0x46, 0xC0, 0, (byte)(24 + igmp.Length), 0, 0, 0x40, 0, 1, 2, 0, 0, .. System.Net.IPAddress.Parse(from.Ip).GetAddressBytes(), 224, 0, 0, 22, 0x94, 0x04, 0, 0];
        Checksum(ip, 10);
        var mac = from.Mac.Split(':').Select(h => Convert.ToByte(h, 16));
        return [0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, .. mac, 0x08, 0x00, .. ip, .. igmp];
    }

    private static void Checksum(byte[] bytes, int at)
    {
        uint sum = 0;
        for (int i = 0; i < bytes.Length; i += 2)
        {
            sum += (uint)((bytes[i] << 8) | (i + 1 < bytes.Length ? bytes[i + 1] : 0));
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        var value = (ushort)~sum;
        bytes[at] = (byte)(value >> 8);
        bytes[at + 1] = (byte)value;
    }

    private static ushort PortAt(int i) => i < TopPorts.Length ? TopPorts[i] : (ushort)(20000 + i);

    private byte[] ResetAck(SimHost to, ushort toPort, ushort fromPort, uint ackNo) =>
        PacketFactory.Tcp(device, to, fromPort, toPort, syn: false, ack: true, fin: false, 0, ackNo, [], rst: true);

    /// <summary>RFC 1035 query: header (id, RD), one question of type A class IN.</summary>
    internal static byte[] DnsQuery(ushort id, string name)
    {
        var bytes = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }

        bytes.AddRange(new byte[] { 0, 0, 1, 0, 1 });
        return [.. bytes];
    }

    /// <summary>The answer: QR+RD+RA, one A record by name pointer to the question, TTL 300, 192.0.2.80.</summary>
    internal static byte[] DnsAnswer(byte[] query)
    {
        var answer = new List<byte>(query);
        answer[2] = 0x81;
        answer[3] = 0x80;
        answer[7] = 1;
        answer.AddRange(new byte[] { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 80 });
        return [.. answer];
    }
}
