using KalkiEdge.UnitTests.Ips.Peer;
using static KalkiEdge.UnitTests.Ips.Peer.TcpFlagsValue;

namespace KalkiEdge.UnitTests.Ips;

/// <summary>
/// The ips element against a real Suricata 7: the same rules over the same generated capture must give the
/// same alerts (sid, packet number). Each test covers one family of rule options and also checks that the
/// expected alerts fired, so agreement cannot come from both engines matching nothing.
/// </summary>
[Category("Peer")]
[NonParallelizable]
public class SuricataPeerTests
{
    private const string Client = "192.0.2.10";
    private const string Server = "198.51.100.20";
    private const string Attacker = "203.0.113.66";

    [Test]
    public void A_missing_suricata_fails_the_check_and_says_how_to_install_it()
    {
        var empty = Directory.CreateTempSubdirectory("kalkiedge-no-suricata-").FullName;
        Assert.That(SuricataPeer.Find([empty]), Is.Null);
        var failure = Assert.Throws<AssertionException>(() => SuricataPeer.Require(SuricataPeer.Find([empty])));
        Assert.That(failure!.Message, Does.Contain("tests/peers/install-suricata.sh"));
        Directory.Delete(empty);
    }

    [Test]
    public void Tcp_flags_and_modifiers()
    {
        var rules = """
            alert tcp any any -> any any (msg:"xmas"; flags:FPU; sid:1;)
            alert tcp any any -> any any (msg:"xmas ignoring ecn"; flags:FPU,CE; sid:2;)
            alert tcp any any -> any any (msg:"null"; flags:0; sid:3;)
            alert tcp any any -> any any (msg:"fin only"; flags:F; sid:4;)
            alert tcp any any -> any any (msg:"syn plus"; flags:S+; sid:5;)
            alert tcp any any -> any any (msg:"any of fin rst"; flags:*FR; sid:6;)
            alert tcp any any -> any any (msg:"not syn-ack"; flags:!SA; sid:7;)
            alert tcp any any -> any any (msg:"syn-ack exact"; flags:SA; sid:8;)
            alert tcp any any -> any any (msg:"ecn bits"; flags:CE+; sid:9;)
            alert tcp any any -> any any (msg:"some flag"; flags:!0; sid:10;)
            alert tcp any any -> any any (msg:"syn fin plus"; flags:+SF,12; sid:11;)
            alert tcp any any -> any any (msg:"any of syn urg"; flags:*SU; sid:12;)
            alert tcp any any -> any any (msg:"not push"; flags:!P; sid:13;)
            alert tcp any any -> any any (msg:"ack ignoring push"; flags:A,P; sid:14;)
            """;
        var c = new PeerCapture();
        ushort port = 1000;
        foreach (var flags in new[] { F | P | U, F | P | U | C | E, None, F, S, S | E | C, R, S | A, R | A, F | S, F | S | R | P | A | U, A, P | A })
        {
            c.Tcp(Attacker, 40000, Client, port++, flags);
        }

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    public void Content_with_nocase_offset_depth_distance_within_and_hex()
    {
        var rules = """
            alert udp any any -> any any (msg:"plain"; content:"admin"; sid:21;)
            alert udp any any -> any any (msg:"nocase"; content:"admin"; nocase; sid:22;)
            alert udp any any -> any any (msg:"depth"; content:"GET"; depth:3; sid:23;)
            alert udp any any -> any any (msg:"offset+depth"; content:"/x"; offset:4; depth:2; sid:24;)
            alert udp any any -> any any (msg:"hex"; content:"|0d 0a 0d 0a|"; sid:25;)
            alert udp any any -> any any (msg:"within"; content:"a="; content:"evil"; distance:0; within:4; sid:26;)
            alert udp any any -> any any (msg:"distance 1"; content:"a="; content:"evil"; distance:1; within:4; sid:27;)
            alert udp any any -> any any (msg:"negative distance"; content:"evil"; content:"a="; distance:-6; within:2; sid:28;)
            alert udp any any -> any any (msg:"offset only"; content:"x"; offset:5; sid:29;)
            alert udp any any -> any any (msg:"nocase relative"; content:"AB"; nocase; content:"cd"; distance:2; sid:30;)
            alert udp any any -> any any (msg:"within only"; content:"|00|"; content:"|ff|"; within:1; sid:31;)
            alert udp any any -> any any (msg:"three in order"; content:"one"; content:"two"; distance:0; content:"three"; distance:0; sid:32;)
            alert udp any any -> any any (msg:"mixed hex text"; content:"User|3a 20|root"; nocase; sid:33;)
            alert udp any any -> any any (msg:"escaped"; content:"a\;b\"c"; sid:34;)
            """;
        var c = new PeerCapture();
        string[] payloads =
        [
            "GET /x ADMIN\r\n\r\n", " GET /admin", "a=x&a=evil", "a=evil", "a=.evil", "..evil.a=", "abxxCD", "ABCD", "abxxcd",
            "\0\u00ff", "\0.\u00ff", "three two one", "one two three", "user: ROOT", "a;b\"c", "0123x", "01234x", "nothing here",
        ];
        ushort port = 2000;
        foreach (var p in payloads)
        {
            c.Udp(Attacker, 5000, Client, port++, System.Text.Encoding.Latin1.GetBytes(p));
        }

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.EqualTo(14), "every content rule fired at least once");
    }

    [Test]
    public void Content_in_tcp_sessions_and_in_packets_without_a_session()
    {
        var rules = """
            alert tcp any any -> any 80 (msg:"request"; content:"GET /admin"; sid:41;)
            alert tcp any 80 -> any any (msg:"response"; content:"HTTP/1.1 401"; depth:12; sid:42;)
            alert tcp any any -> any 80 (msg:"login"; content:"POST "; depth:5; content:"/login"; distance:0; within:10; sid:43;)
            alert tcp any any -> any [23,2323] (msg:"telnet creds"; content:"root|0d 0a|"; nocase; sid:44;)
            alert tcp any any -> any any (msg:"anywhere"; content:"marker"; sid:45;)
            """;
        var c = new PeerCapture();
        // Sessions carry one data packet per direction (see the next test for why).
        var admin = c.Conversation(Client, 40001, Server, 80).Handshake();
        admin.ClientSends("GET /admin HTTP/1.1\r\nHost: cam\r\n\r\n");
        admin.ServerSends("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
        admin.Close();
        var login = c.Conversation(Client, 40002, Server, 80).Handshake();
        login.ClientSends("POST /login HTTP/1.1\r\nContent-Length: 3\r\n\r\na=b");
        login.ServerSends("HTTP/1.1 200 OK marker\r\n\r\n");
        login.Close();
        var telnet = c.Conversation(Attacker, 40003, Client, 23).Handshake();
        telnet.ClientSends("ROOT\r\n");
        telnet.Close();
        // No handshake: Suricata keeps no session (midstream off) and inspects each packet on its own.
        c.Tcp(Attacker, 41000, Client, 2323, P | A, 7000, 1, "root\r\n");
        c.Tcp(Attacker, 41000, Client, 2323, P | A, 7006, 1, "root\r\n");
        c.Tcp(Attacker, 41001, Client, 80, P | A, 9000, 1, "xx GET /admin marker");
        c.Tcp(Attacker, 41001, Client, 80, P | A, 9020, 1, "GET /admin again");

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct(), Is.EquivalentTo(new long[] { 41, 42, 43, 44, 45 }));
    }

    /// <summary>
    /// In a TCP session content is matched on the reassembled stream: with the peer configuration (stream.inline)
    /// each data segment is inspected together with the earlier data of its direction, so a request's match shows
    /// again on the next request (a new turn). The ips element does the same, once per turn: with one data packet
    /// per turn the alerts are Suricata's exactly, repeats included. (Several segments per turn:
    /// <see cref="StreamReassemblyPeerTests"/>.)
    /// </summary>
    [Test]
    public void Tcp_session_content_is_matched_on_the_stream_like_suricata_including_the_next_turns_repeats()
    {
        var rules = """
            alert tcp any any -> any 80 (msg:"request"; content:"GET /admin"; sid:41;)
            alert tcp any 80 -> any any (msg:"response"; content:"HTTP/1.1 401"; depth:12; sid:42;)
            alert tcp any any -> any 80 (msg:"login"; content:"POST "; depth:5; content:"/login"; distance:0; within:10; sid:43;)
            """;
        var c = new PeerCapture();
        var web = c.Conversation(Client, 40001, Server, 80).Handshake();
        var get = web.ClientSends("GET /admin HTTP/1.1\r\nHost: cam\r\n\r\n");
        var unauthorized = web.ServerSends("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
        var post = web.ClientSends("POST /login HTTP/1.1\r\nContent-Length: 3\r\n\r\na=b");
        var ok = web.ServerSends("HTTP/1.1 200 OK\r\n\r\n");
        var index = web.ClientSends("GET /index HTTP/1.1\r\n\r\n");
        web.Close();

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts, Is.EquivalentTo(new[]
        {
            new PeerAlert(get, 41), new PeerAlert(unauthorized, 42), new PeerAlert(post, 43),
            new PeerAlert(post, 41), new PeerAlert(ok, 42), new PeerAlert(index, 41),
        }));
    }

    [Test]
    public void Header_only_rules_fire_on_the_first_packet_of_each_flow_direction()
    {
        var rules = """
            alert udp any any -> any 7001 (msg:"udp header only"; sid:111;)
            alert udp any any <> any 7001 (msg:"both ways"; sid:112;)
            alert tcp any any -> any 80 (msg:"tcp header only"; sid:113;)
            alert icmp any any -> any any (msg:"icmp header only"; sid:114;)
            alert ip any any -> any any (msg:"ip header only"; threshold: type limit, track by_src, count 1, seconds 60; sid:115;)
            """;
        var c = new PeerCapture();
        for (int i = 0; i < 3; i++)
        {
            c.Udp(Attacker, 5000, Client, 7001, "x");
            c.Udp(Client, 7001, Attacker, 5000, "y");
        }

        c.Udp(Attacker, 5001, Client, 7001, "new flow");
        var web = c.Conversation(Client, 40001, Server, 80).Handshake();
        web.ClientSends("GET / HTTP/1.1\r\n\r\n");
        web.Close();
        for (ushort i = 1; i <= 3; i++)
        {
            c.IcmpEcho(Attacker, Client, reply: false, id: 7, sequence: i, payload: "p");
            c.IcmpEcho(Client, Attacker, reply: true, id: 7, sequence: i, payload: "p");
        }

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.EqualTo(5));
    }

    [Test]
    public void Addresses_ports_lists_negation_and_bidirectional()
    {
        var rules = """
            alert udp 203.0.113.0/24 any -> any any (msg:"cidr"; sid:51;)
            alert udp !203.0.113.0/24 any -> any any (msg:"negated cidr"; sid:52;)
            alert udp [192.0.2.10,198.51.100.0/25] any -> any any (msg:"list"; sid:53;)
            alert udp [203.0.113.0/24,!203.0.113.66] any -> any any (msg:"list with exception"; sid:54;)
            alert udp any any -> any 1000:1010 (msg:"range"; sid:55;)
            alert udp any any -> any !1005 (msg:"negated port"; sid:56;)
            alert udp any any -> any [53,1000:1002,!1001] (msg:"port list"; sid:57;)
            alert udp any :1024 -> any 1024: (msg:"open ranges"; sid:58;)
            alert udp 192.0.2.10 any <> 198.51.100.20 53 (msg:"bidirectional"; sid:59;)
            alert udp 192.0.2.10 any -> 198.51.100.20 53 (msg:"one way"; sid:60;)
            alert udp any any -> ![192.0.2.0/24,198.51.100.0/24] any (msg:"negated list"; sid:61;)
            alert udp $EXTERNAL_NET any -> $HOME_NET any (msg:"variables"; sid:62;)
            """;
        var c = new PeerCapture();
        c.Udp("203.0.113.66", 500, Client, 1000, "a");
        c.Udp("203.0.113.5", 500, Client, 1001, "b");
        c.Udp(Client, 5353, Server, 53, "q");
        c.Udp(Server, 53, Client, 5353, "r");
        c.Udp("198.51.100.200", 2000, Client, 1005, "c");
        c.Udp("198.51.100.100", 1024, "203.0.113.9", 1024, "d");
        c.Udp(Client, 1023, Server, 1002, "e");
        c.Udp(Server, 53, "203.0.113.1", 9999, "f");

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.EqualTo(12));
    }

    [Test]
    public void Protocols_tcp_udp_icmp_and_ip()
    {
        var rules = """
            alert tcp any any -> any any (msg:"tcp"; sid:71;)
            alert udp any any -> any any (msg:"udp"; sid:72;)
            alert icmp any any -> any any (msg:"icmp"; sid:73;)
            alert ip any any -> any any (msg:"ip"; sid:74;)
            alert icmp any any -> any any (msg:"icmp payload"; content:"ping"; depth:4; sid:75;)
            alert ip any any -> any any (msg:"ip payload"; content:"marker"; sid:76;)
            alert ip 203.0.113.66 any -> any any (msg:"ip from attacker"; sid:77;)
            """;
        var c = new PeerCapture();
        c.Tcp(Attacker, 40000, Client, 80, S);
        c.Udp(Attacker, 40000, Client, 53, "marker");
        c.IcmpEcho(Attacker, Client, reply: false, id: 7, sequence: 1, payload: "ping marker");
        c.IcmpEcho(Client, Attacker, reply: true, id: 7, sequence: 1, payload: "ping marker");
        c.OtherIp(Server, Client, 253, "marker");

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.EqualTo(7));
    }

    [Test]
    public void Flow_direction_and_established_state()
    {
        var rules = """
            alert tcp any any -> any any (msg:"to_server"; flow:to_server; sid:81;)
            alert tcp any any -> any any (msg:"to_client"; flow:to_client; sid:82;)
            alert tcp any any -> any any (msg:"established"; flow:established; sid:83;)
            alert tcp any any -> any any (msg:"not established"; flow:not_established; sid:84;)
            alert tcp any any -> any any (msg:"request"; flow:to_server,established; content:"hello"; sid:85;)
            alert tcp any any -> any any (msg:"reply"; flow:from_server,established; content:"hello"; sid:86;)
            alert udp any any -> any any (msg:"udp to_server"; flow:to_server; sid:87;)
            alert udp any any -> any any (msg:"udp established"; flow:established; sid:88;)
            alert udp any any -> any any (msg:"udp to_client"; flow:to_client; sid:89;)
            alert icmp any any -> any any (msg:"icmp established"; flow:established; sid:90;)
            alert icmp any any -> any any (msg:"icmp to_server"; flow:to_server; sid:91;)
            """;
        var c = new PeerCapture();
        var conv = c.Conversation(Client, 40010, Server, 8080).Handshake();
        conv.ClientSends("hello server");
        conv.ServerSends("hello client");
        conv.Close();
        c.Udp(Client, 5000, Server, 5001, "request");
        c.Udp(Server, 5001, Client, 5000, "reply");
        c.Udp(Client, 5000, Server, 5001, "again");
        c.Udp(Attacker, 6000, Client, 6001, "one-way");
        c.IcmpEcho(Attacker, Client, reply: false, id: 9, sequence: 1, payload: "p");
        c.IcmpEcho(Client, Attacker, reply: true, id: 9, sequence: 1, payload: "p");

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    public void Thresholds_limit_threshold_and_both()
    {
        var rules = """
            alert udp any any -> any 7001 (msg:"limit"; content:"x"; threshold: type limit, track by_src, count 2, seconds 10; sid:101;)
            alert udp any any -> any 7002 (msg:"threshold"; content:"x"; threshold: type threshold, track by_src, count 3, seconds 10; sid:102;)
            alert udp any any -> any 7003 (msg:"both"; content:"x"; threshold: type both, track by_dst, count 3, seconds 10; sid:103;)
            alert udp any any -> any 7004 (msg:"limit by rule"; content:"x"; threshold: type limit, track by_rule, count 1, seconds 5; sid:104;)
            """;
        var c = new PeerCapture();
        foreach (var port in new ushort[] { 7001, 7002, 7003, 7004 })
        {
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < 7; i++)
                {
                    c.Udp(i % 2 == 0 ? Attacker : Server, 5000, Client, port, "x");
                    c.Wait(0.5);
                }

                c.Wait(7.3);
            }
        }

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.EqualTo(4));
    }

    [Test]
    public void Threshold_windows_at_their_exact_boundary()
    {
        var rules = """
            alert udp any any -> any 7101 (msg:"limit"; content:"x"; threshold: type limit, track by_src, count 1, seconds 2; sid:121;)
            alert udp any any -> any 7102 (msg:"threshold"; content:"x"; threshold: type threshold, track by_src, count 2, seconds 2; sid:122;)
            alert udp any any -> any 7103 (msg:"both"; content:"x"; threshold: type both, track by_src, count 2, seconds 2; sid:123;)
            alert udp any any -> any 7104 (msg:"threshold of one"; content:"x"; threshold: type threshold, track by_src, count 1, seconds 2; sid:124;)
            alert udp any any -> any 7105 (msg:"both of one"; content:"x"; threshold: type both, track by_dst, count 1, seconds 2; sid:125;)
            """;
        var c = new PeerCapture { StepMicros = 0 };
        foreach (var port in new ushort[] { 7101, 7102, 7103, 7104, 7105 })
        {
            // Matches at 0, 1.999999, 2.0, 2.000001, 4.0, 4.000001 s after the first of each rule.
            long start = c.NowMicros;
            foreach (var offset in new long[] { 0, 1_999_999, 2_000_000, 2_000_001, 4_000_000, 4_000_001, 6_000_002 })
            {
                c.NowMicros = start + offset;
                c.Udp(Attacker, 5000, Client, port, "x");
            }

            c.NowMicros = start + 10_000_000;
        }

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.EqualTo(5));
    }

    [Test]
    public void Flags_flow_and_content_combined_with_bidirectional_rules()
    {
        var rules = """
            alert tcp any any <> any 8883 (msg:"either way with content"; content:"secret"; sid:131;)
            alert tcp any 8883 <> any any (msg:"syn-ack from the service"; flags:SA; sid:132;)
            alert tcp any any -> any 8883 (msg:"push-ack with data to server"; flow:to_server,established; flags:PA; content:"secret"; sid:133;)
            alert tcp any any -> any any (msg:"not established with content"; flow:not_established; content:"secret"; sid:134;)
            alert tcp any any -> any any (msg:"fin with content"; flags:+F; content:"bye"; sid:135;)
            alert udp any any <> any 9000 (msg:"udp either way"; flow:to_client; content:"pong"; sid:136;)
            """;
        var c = new PeerCapture();
        var s1 = c.Conversation(Client, 40100, Server, 8883).Handshake();
        s1.ClientSends("secret hello");
        s1.ServerSends("secret reply");
        s1.Close();
        c.Tcp(Attacker, 40200, Client, 8883, P | A, 100, 1, "secret outside any session");
        c.Tcp(Attacker, 40201, Client, 80, F | P | A, 100, 1, "bye");
        c.Udp(Client, 9001, Server, 9000, "ping");
        c.Udp(Server, 9000, Client, 9001, "pong");
        c.Udp(Server, 9000, Client, 9002, "pong");

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.GreaterThanOrEqualTo(5));
    }

    [Test]
    public void Icmp_flows_for_header_only_rules()
    {
        var rules = """
            alert icmp any any -> any any (msg:"icmp"; sid:141;)
            alert icmp any any -> any any (msg:"icmp with payload"; content:"probe"; sid:142;)
            """;
        var c = new PeerCapture();
        for (ushort id = 1; id <= 3; id++)
        {
            for (ushort seq = 1; seq <= 2; seq++)
            {
                c.IcmpEcho(Attacker, Client, reply: false, id: id, sequence: seq, payload: "probe");
                c.IcmpEcho(Client, Attacker, reply: true, id: id, sequence: seq, payload: "probe");
            }
        }

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public void Payload_of_fin_and_rst_packets_is_inspected_only_inside_a_tcp_session()
    {
        var rules = """
            alert tcp any any -> any any (msg:"probe"; content:"probe"; sid:151;)
            alert tcp any any -> any any (msg:"probe with fin"; flags:+F; content:"probe"; sid:152;)
            """;
        var c = new PeerCapture();
        ushort port = 3000;
        foreach (var flags in new[] { S, S | A, A, P | A, F, F | A, F | P | A, R, R | A, U, None, P, F | P | U, S | F })
        {
            c.Tcp(Attacker, 50000, Client, port++, flags, 100, 1, "probe");
        }

        foreach (var flags in new[] { F | P | A, R | A, R })
        {
            c.Conversation(Client, port, Server, 80).Handshake();
            c.Tcp(Client, port, Server, 80, flags, 1_000_001u + port, 5_000_081u, "probe");
            port++;
        }

        var alerts = SuricataPeer.AssertSameAlerts(rules, c);
        Assert.That(alerts.Select(a => a.Sid).Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public void Home_net_and_external_net_variables()
    {
        var rules = """
            alert udp $EXTERNAL_NET any -> $HOME_NET any (msg:"in"; content:"x"; sid:161;)
            alert udp $HOME_NET any -> $EXTERNAL_NET any (msg:"out"; content:"x"; sid:162;)
            alert udp $HOME_NET any -> $HOME_NET any (msg:"inside"; content:"x"; sid:163;)
            alert udp !$HOME_NET any -> any any (msg:"not home"; content:"x"; sid:164;)
            """;
        var c = new PeerCapture();
        c.Udp(Attacker, 1000, Client, 2000, "x");
        c.Udp(Client, 2000, Attacker, 1000, "x");
        c.Udp(Client, 2001, "192.0.2.11", 2002, "x");
        c.Udp(Server, 3000, Client, 2003, "x");
        c.Udp(Attacker, 4000, Server, 5000, "x");

        var theirs = SuricataPeer.RunSuricata(rules, c, null, "--set", "vars.address-groups.HOME_NET=[192.0.2.0/24,198.51.100.0/24]", "--set", "vars.address-groups.EXTERNAL_NET=!$HOME_NET");
        var ours = SuricataPeer.RunKalkiEdge(rules, c, ", home-net: [192.0.2.0/24, 198.51.100.0/24]");
        Assert.That(ours, Is.EqualTo(theirs), $"only ours: {string.Join(" ", ours.Except(theirs))}\nonly suricata: {string.Join(" ", theirs.Except(ours))}");
        Assert.That(ours.Select(a => a.Sid).Distinct().Count(), Is.EqualTo(4));
    }

    [TestCase("xmas-scan.rules", 5)]
    [TestCase("camera.rules", 8)]
    [TestCase("iot-common.rules", 13)]
    [TestCase("bench-50.rules", 35)]
    public void Shipped_rule_files_over_an_iot_attack_capture(string file, int minimumRulesFired)
    {
        var capture = IotAttackScenario.Build();
        var theirs = SuricataPeer.RunSuricata("", capture, Path.Combine(RepoPaths.Rules, file));
        var ours = SuricataPeer.RunKalkiEdge("", capture, rulesFile: file);
        Assert.That(ours, Is.EqualTo(theirs),
            $"only ours: {string.Join(" ", ours.Except(theirs))}\nonly suricata: {string.Join(" ", theirs.Except(ours))}");
        var fired = ours.Select(a => a.Sid).ToHashSet();
        var all = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Path.Combine(RepoPaths.Rules, file)), @"sid:(\d+);").Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(fired, Has.Count.GreaterThanOrEqualTo(minimumRulesFired), "not fired: " + string.Join(" ", all.Where(s => !fired.Contains(s))));
    }
}
