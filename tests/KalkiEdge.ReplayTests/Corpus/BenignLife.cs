using System.Text;
using KalkiEdge.Appliance.Simulation;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// A device's ordinary life over a long run, written from what each family's firmware and its usual peers send
/// (not from the packs): on every device DHCP renewals at half the lease (RFC 2131 T1), ARP refreshes both ways,
/// NTP polls (RFC 5905, 1024 s), DNS lookups before each cloud connection and a long-lived TLS connection to
/// its cloud (ClientHello, then application-data keep-alives every minute, reconnecting every 20 minutes); then
/// per family:
/// <list type="bullet">
/// <item>D-Link camera: a recorder polling snapshots with Digest on one keep-alive connection, an RTSP session
/// (OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER keep-alives every 30 s) streaming interleaved RTP, and a person
/// browsing the web interface for ten minutes.</item>
/// <item>Hue bridge: SSDP NOTIFY and mDNS <c>_hue._tcp</c> announcements, a home hub reading
/// <c>/api/TOKEN/sensors</c> every 10 s and the phone app polling <c>/api/TOKEN/lights</c> each second while it is
/// open (five minutes in every fifteen).</item>
/// <item>WeMo Insight: SSDP NOTIFY, a hub's GetBinaryState every 10 s and GetInsightParams every 30 s, a
/// connection each (the plug's server closes them).</item>
/// <item>Udoo Neo: an administrator's SSH session all hour (banners, key exchange, ServerAlive keep-alives every
/// 15 s), an scp at half time, a firmware image downloaded over HTTPS, avahi's mDNS announcements and IGMPv3
/// reports answering the router's queries.</item>
/// <item>Generic device: an MQTT connection to its broker with PINGREQ/PINGRESP every 60 s (keep-alive) and
/// a hub reading <c>/status</c> every 30 s.</item>
/// </list>
/// Seeded: the same arguments give the same capture. Frame times are real (an hour of them), the replay reads
/// them as fast as it can.
/// </summary>
public sealed class BenignLife(Timeline timeline, SimHost device, string type, int seed)
{
    public const long Millisecond = 1_000;
    public const long Second = 1_000_000;
    public const long Minute = 60 * Second;

    public static readonly SimHost Gateway = new("gateway", "02:00:00:00:00:fe", "192.0.2.1");
    public static readonly SimHost Dns = new("dns", "02:00:00:00:00:fe", "198.51.100.53");
    public static readonly SimHost Ntp = new("ntp", "02:00:00:00:00:fe", "198.51.100.123");
    public static readonly SimHost Cloud = new("cloud", "02:00:00:00:00:fe", "198.51.100.20");
    public static readonly SimHost Phone = new("phone", "02:00:00:00:00:fe", "198.51.100.30");
    public static readonly SimHost Recorder = new("recorder", "02:00:00:00:00:fe", "198.51.100.42");
    public static readonly SimHost Browser = new("browser", "02:00:00:00:00:fe", "198.51.100.41");
    public static readonly SimHost Admin = new("admin", "02:00:00:00:00:fe", "198.51.100.45");
    public static readonly SimHost Hub = new("hub", "02:00:00:00:00:fe", "198.51.100.50");
    public static readonly SimHost Mirror = new("mirror", "02:00:00:00:00:fe", "198.51.100.80");
    public static readonly SimHost Broker = new("broker", "02:00:00:00:00:fe", "198.51.100.90");

    private static readonly SimHost MdnsGroup = new("mdns", "01:00:5e:00:00:fb", "224.0.0.251");
    private static readonly SimHost SsdpGroup = new("ssdp", "01:00:5e:7f:ff:fa", "239.255.255.250");

    private readonly Random _random = new(seed);
    private int _nextPort = 49152;

    private FamilyIntroduction Family => type switch
    {
        "dlink-camera" => PairingTraffic.DlinkCamera,
        "philips-hue-bridge" => PairingTraffic.Hue,
        "wemo-insight" => PairingTraffic.Wemo,
        "udoo-neo" => PairingTraffic.UdooNeo,
        _ => PairingTraffic.Unknown,
    };

    /// <summary>Writes <paramref name="minutes"/> of the device's life from <paramref name="at"/>; returns the time of its last frame.</summary>
    public long Live(int minutes, long at)
    {
        long end = at + (minutes * Minute);
        long last = Math.Max(Network(at, end), CloudLink(at, end));
        last = Math.Max(last, type switch
        {
            "dlink-camera" => Camera(at, end),
            "philips-hue-bridge" => HueBridge(at, end),
            "wemo-insight" => Wemo(at, end),
            "udoo-neo" => Udoo(at, end),
            _ => Generic(at, end),
        });
        return last;
    }

    /// <summary>DHCP renewals every 30 minutes (one-hour lease), ARP both ways every 5 minutes, NTP every 1024 s.</summary>
    private long Network(long at, long end)
    {
        long t = at;
        for (long renew = at + (30 * Minute) + Jitter(Second); renew < end; renew += 30 * Minute)
        {
            timeline.Add(renew, PacketFactory.Udp(device, Gateway, 68, 67, PairingTraffic.Dhcp(Family, device, 3)));
            timeline.Add(t = renew + (3 * Millisecond), PacketFactory.Udp(Gateway, device, 67, 68, PairingTraffic.Dhcp(Family, device, 5)));
        }

        for (long arp = at + Jitter(5 * Second); arp < end; arp += 5 * Minute)
        {
            timeline.Add(arp, PacketFactory.ArpRequest(Gateway, device.Ip));
            timeline.Add(arp + 400, PacketFactory.ArpReply(device, device.Mac, Gateway));
            timeline.Add(arp + (90 * Second), PacketFactory.ArpRequest(device, Gateway.Ip));
            timeline.Add(t = Math.Max(t, arp + (90 * Second) + 500), PacketFactory.ArpReply(Gateway, Gateway.Mac, device));
        }

        for (long poll = at + Jitter(10 * Second); poll < end; poll += 1024 * Second)
        {
            ushort port = EphemeralPort();
            var request = new byte[48];
            request[0] = 0x23; // LI 0, version 4, mode 3 (client)
            timeline.Add(poll, PacketFactory.Udp(device, Ntp, port, 123, request));
            var reply = (byte[])request.Clone();
            reply[0] = 0x24; // mode 4 (server)
            reply[1] = 2; // stratum
            timeline.Add(t = Math.Max(t, poll + (18 * Millisecond)), PacketFactory.Udp(Ntp, device, 123, port, reply));
        }

        return t;
    }

    /// <summary>The firmware's link to its cloud: a DNS lookup, TLS over 443, a keep-alive record a minute, reconnect every 20 minutes.</summary>
    private long CloudLink(long at, long end)
    {
        long t = at + Jitter(2 * Second);
        while (t < end)
        {
            t = Lookup("iot.example.com", t) + (5 * Millisecond);
            var tls = Connect(device, Cloud, 443, t);
            tls.Exchange(ClientHello("iot.example.com"), TlsRecord(0x16, 1200), 0);
            tls.Exchange(TlsRecord(0x14, 1), TlsRecord(0x14, 1), 0);
            long reconnect = Math.Min(end, t + (20 * Minute));
            while (tls.Now + Minute < reconnect)
            {
                tls.Exchange(TlsRecord(0x17, 40), TlsRecord(0x17, 40), Minute);
            }

            t = tls.Close() + Second;
        }

        return t;
    }

    private long Camera(long at, long end)
    {
        var login = new LoginCorpus(timeline, device, "admin:Vx9-kq2!m", realm: type, seed: _random.Next());
        long minutes = (end - at) / Minute;
        long t = login.RecorderPolling(Recorder, (int)minutes, at + Jitter(Second));
        t = Math.Max(t, login.BrowserSession(Browser, 10, at + (20 * Minute)));

        // RTSP (RFC 2326) with RTP interleaved on the same connection: a 1,200-byte RTP packet every 2 s stands
        // for the stream (time-compressed: the real stream's rate would only make the capture larger).
        var rtsp = Connect(Recorder, device, 554, at + Jitter(3 * Second));
        const string url = "rtsp://camera/live1.sdp";
        rtsp.Exchange($"OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n", "RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN\r\n\r\n");
        rtsp.Exchange($"DESCRIBE {url} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n", "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 58\r\n\r\nv=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=live\r\nm=video 0 RTP/AVP 96\r\n");
        rtsp.Exchange($"SETUP {url}/track1 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n", "RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: 4711;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n");
        rtsp.Exchange($"PLAY {url} RTSP/1.0\r\nCSeq: 4\r\nSession: 4711\r\n\r\n", "RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 4711\r\n\r\n");
        int cseq = 5;
        long keepAlive = rtsp.Now + (30 * Second);
        while (rtsp.Now + (2 * Second) < end)
        {
            rtsp.ServerSends(1200, 2 * Second, fill: 0x24);
            if (rtsp.Now >= keepAlive)
            {
                rtsp.Exchange($"GET_PARAMETER {url} RTSP/1.0\r\nCSeq: {cseq}\r\nSession: 4711\r\n\r\n", $"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: 4711\r\n\r\n");
                cseq++;
                keepAlive += 30 * Second;
            }
        }

        rtsp.Exchange($"TEARDOWN {url} RTSP/1.0\r\nCSeq: {cseq}\r\nSession: 4711\r\n\r\n", $"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n\r\n");
        return Math.Max(t, rtsp.Close());
    }

    private long HueBridge(long at, long end)
    {
        long t = Announce(at, end, 2 * Minute, "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=100\r\n"
            + $"LOCATION: http://{device.Ip}:80/description.xml\r\nSERVER: Hue/1.0 UPnP/1.0 IpBridge/1.48.0\r\nNTS: ssdp:alive\r\nhue-bridgeid: 001788FFFE5E6F70\r\nNT: upnp:rootdevice\r\nUSN: uuid:2f402f80-da50-11e1-9b23-001788{device.Mac[^8..].Replace(":", "", StringComparison.Ordinal)}::upnp:rootdevice\r\n\r\n");
        t = Math.Max(t, MdnsAnnouncements(at, end, "_hue._tcp", "Philips Hue - 5E6F70"));

        var hub = Connect(Hub, device, 80, at + Jitter(4 * Second));
        while (hub.Now + (10 * Second) < end)
        {
            hub.Exchange(HttpGet("/api/8qCVDbo4mq5LIQ4uV5rW/sensors", "hub/1.4"), HttpOk("application/json", "{\"1\":{\"state\":{\"daylight\":true}}}"), 10 * Second);
        }

        t = Math.Max(t, hub.Close());
        for (long open = at + (2 * Minute); open < end; open += 15 * Minute)
        {
            var app = Connect(Phone, device, 80, open);
            long close = Math.Min(end, open + (5 * Minute));
            while (app.Now + Second < close)
            {
                app.Exchange(HttpGet("/api/Xr4lqT2-gQ5uBgQmJq3XW6WZqdbf1/lights", "Hue/4.30 CFNetwork"), HttpOk("application/json", "{\"1\":{\"state\":{\"on\":true,\"bri\":254}}}"), Second);
            }

            t = Math.Max(t, app.Close());
        }

        return t;
    }

    private long Wemo(long at, long end)
    {
        long t = Announce(at, end, 3 * Minute, "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=86400\r\n"
            + $"LOCATION: http://{device.Ip}:49153/setup.xml\r\nSERVER: Unspecified, UPnP/1.0, Unspecified\r\nNTS: ssdp:alive\r\nNT: urn:Belkin:device:insight:1\r\nUSN: uuid:Insight-1_0-231550K1200093::urn:Belkin:device:insight:1\r\n\r\n");
        for (long poll = at + Jitter(3 * Second), n = 0; poll < end; poll += 10 * Second, n++)
        {
            bool insight = n % 3 == 2;
            var (path, service, action, answer) = insight
                ? ("/upnp/control/insight1", "insight", "GetInsightParams", "<InsightParams>1|1701234567|1834|30522|318467|1209600|0|8320|23478127|1203890312|8000</InsightParams>")
                : ("/upnp/control/basicevent1", "basicevent", "GetBinaryState", "<BinaryState>1</BinaryState>");
            var body = $"<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:{action} xmlns:u=\"urn:Belkin:service:{service}:1\"></u:{action}></s:Body></s:Envelope>";
            var c = Connect(Hub, device, 49153, poll);
            c.Exchange(
                $"POST {path} HTTP/1.1\r\nHost: {device.Ip}:49153\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nSOAPACTION: \"urn:Belkin:service:{service}:1#{action}\"\r\nContent-Length: {body.Length}\r\n\r\n{body}",
                HttpOk("text/xml", $"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:{action}Response xmlns:u=\"urn:Belkin:service:{service}:1\">{answer}</u:{action}Response></s:Body></s:Envelope>"));
            t = Math.Max(t, c.Close());
        }

        return t;
    }

    private long Udoo(long at, long end)
    {
        long t = MdnsAnnouncements(at, end, "_workstation._tcp", "udooneo");
        for (long query = at + Jitter(20 * Second); query < end; query += 125 * Second)
        {
            // The router's IGMP general query (every 125 s, RFC 3376) is answered by a report of the mDNS group.
            timeline.Add(t = Math.Max(t, query + Jitter(Second)), ProbeCorpus.Igmp3JoinReport(device, MdnsGroup.Ip));
        }

        t = Math.Max(t, SshSession(at + Jitter(10 * Second), end - (30 * Second)));
        t = Math.Max(t, SshSession(at + (30 * Minute), at + (32 * Minute)));

        // A firmware image over HTTPS (apt's https transport): 512 KB after the TLS handshake.
        long update = Lookup("deb.example.org", at + (40 * Minute));
        var download = Connect(device, Mirror, 443, update + (5 * Millisecond));
        download.Exchange(ClientHello("deb.example.org"), TlsRecord(0x16, 3000), 0);
        download.Exchange(TlsRecord(0x17, 180), [], 0);
        download.ServerSends(512 * 1024, 20 * Millisecond);
        return Math.Max(t, download.Close());
    }

    /// <summary>OpenSSH: banners, KEXINIT, key exchange, then a ServerAliveInterval 15 keep-alive each way until <paramref name="end"/>.</summary>
    private long SshSession(long at, long end)
    {
        var ssh = Connect(Admin, device, 22, at);
        ssh.Exchange(PacketFactory.Ascii("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), PacketFactory.Ascii("SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7\r\n"));
        ssh.Exchange(SshPacket(20, 1400), SshPacket(20, 1000));
        ssh.Exchange(SshPacket(30, 40), SshPacket(31, 600));
        ssh.Exchange(SshPacket(21, 12), SshPacket(21, 12));
        ssh.Exchange(SshPacket(0x80, 96), SshPacket(0x80, 96));
        while (ssh.Now + (15 * Second) < end)
        {
            ssh.Exchange(SshPacket(0x80, 48), SshPacket(0x80, 32), 15 * Second);
        }

        return ssh.Close();
    }

    private long Generic(long at, long end)
    {
        var mqtt = Connect(device, Broker, 1883, at + Jitter(2 * Second));
        byte[] clientId = Encoding.ASCII.GetBytes("esp_3c71bf");
        byte[] connect = [0x10, (byte)(10 + 2 + clientId.Length), 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x02, 0, 60, 0, (byte)clientId.Length, .. clientId];
        mqtt.Exchange(connect, [0x20, 2, 0, 0]);
        byte[] topic = Encoding.ASCII.GetBytes("home/plug/state");
        mqtt.Exchange([0x30, (byte)(2 + topic.Length + 2), 0, (byte)topic.Length, .. topic, (byte)'o', (byte)'n'], []);
        while (mqtt.Now + Minute < end)
        {
            mqtt.Exchange([0xc0, 0], [0xd0, 0], Minute);
        }

        long t = mqtt.Close();
        for (long poll = at + Jitter(5 * Second); poll < end; poll += 30 * Second)
        {
            var c = Connect(Hub, device, 80, poll);
            c.Exchange(HttpGet("/status", "hub/1.4"), HttpOk("application/json", "{\"relay\":1,\"uptime\":86400}"));
            t = Math.Max(t, c.Close());
        }

        return t;
    }

    /// <summary>An SSDP NOTIFY ssdp:alive to 239.255.255.250:1900 every <paramref name="every"/>.</summary>
    private long Announce(long at, long end, long every, string notify)
    {
        long t = at;
        for (long n = at + Jitter(Second); n < end; n += every)
        {
            timeline.Add(t = n, PacketFactory.Udp(device, SsdpGroup, 1900, 1900, PacketFactory.Ascii(notify)));
        }

        return t;
    }

    /// <summary>mDNS announcements of one service every 20 minutes (re-announced before the records' TTL runs out).</summary>
    private long MdnsAnnouncements(long at, long end, string service, string instance)
    {
        long t = at;
        for (long n = at + Jitter(Second); n < end; n += 20 * Minute)
        {
            timeline.Add(t = n, PacketFactory.Udp(device, MdnsGroup, 5353, 5353, PairingTraffic.MdnsAnnouncement(service, instance)));
        }

        return t;
    }

    private long Lookup(string name, long at)
    {
        ushort port = EphemeralPort();
        var query = ProbeCorpus.DnsQuery((ushort)_random.Next(65536), name);
        timeline.Add(at, PacketFactory.Udp(device, Dns, port, 53, query));
        long answered = at + (8 * Millisecond) + Jitter(4 * Millisecond);
        timeline.Add(answered, PacketFactory.Udp(Dns, device, 53, port, ProbeCorpus.DnsAnswer(query)));
        return answered;
    }

    private TcpConversation Connect(SimHost client, SimHost server, ushort port, long at) =>
        TcpConversation.Open(timeline, client, server, EphemeralPort(), port, _random, at);

    private ushort EphemeralPort()
    {
        int port = _nextPort;
        _nextPort = _nextPort >= 65000 ? 49152 : _nextPort + 1;
        return (ushort)port;
    }

    private long Jitter(long max) => _random.NextInt64(max);

    /// <summary>A TLS 1.2 record header and a body of <paramref name="length"/> bytes (contents opaque to the appliance).</summary>
    private byte[] TlsRecord(byte contentType, int length)
    {
        var record = new byte[5 + length];
        record[0] = contentType;
        record[1] = 3;
        record[2] = 3;
        record[3] = (byte)(length >> 8);
        record[4] = (byte)length;
        _random.NextBytes(record.AsSpan(5));
        return record;
    }

    /// <summary>A TLS ClientHello (RFC 8446 section 4.1.2) with the server name (SNI) and TLS 1.3/1.2 offered.</summary>
    private byte[] ClientHello(string serverName)
    {
        var name = Encoding.ASCII.GetBytes(serverName);
        byte[] sni = [0, 0, 0, (byte)(name.Length + 5), 0, (byte)(name.Length + 3), 0, 0, (byte)name.Length, .. name];
        byte[] versions = [0, 0x2b, 0, 5, 4, 3, 4, 3, 3];
        var random = new byte[32];
        _random.NextBytes(random);
        byte[] body = [3, 3, .. random, 0, 0, 4, 0x13, 0x01, 0xc0, 0x2f, 1, 0, (byte)((sni.Length + versions.Length) >> 8), (byte)(sni.Length + versions.Length), .. sni, .. versions];
        byte[] handshake = [1, 0, (byte)(body.Length >> 8), (byte)body.Length, .. body];
        return [0x16, 3, 1, (byte)(handshake.Length >> 8), (byte)handshake.Length, .. handshake];
    }

    /// <summary>An SSH binary packet (RFC 4253 section 6) of <paramref name="length"/> bytes; message type in clear only before keys are in use.</summary>
    private byte[] SshPacket(byte messageType, int length)
    {
        var packet = new byte[4 + length];
        packet[0] = (byte)(length >> 24);
        packet[1] = (byte)(length >> 16);
        packet[2] = (byte)(length >> 8);
        packet[3] = (byte)length;
        _random.NextBytes(packet.AsSpan(4));
        packet[4] = 4; // padding length
        packet[5] = messageType;
        return packet;
    }

    private string HttpGet(string uri, string userAgent) =>
        $"GET {uri} HTTP/1.1\r\nHost: {device.Ip}\r\nUser-Agent: {userAgent}\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n";

    private static string HttpOk(string contentType, string body) =>
        $"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n\r\n{body}";
}
