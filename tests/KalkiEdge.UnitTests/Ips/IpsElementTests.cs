using System.Text;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes;
using KalkiEdge.Umboxes.Ips;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.UnitTests.Ips.IpsTestSupport;

namespace KalkiEdge.UnitTests.Ips;

public class IpsElementTests
{
    private const string Attacker = Frames.AttackerIp;
    private const string Device = Frames.DeviceIp;

    private static ChainHarness Rules(string rules, string args = "") =>
        Harness($"ips(rules: t.rules{args})", ("t.rules", rules));

    private static long[] Sids(ChainHarness h) => [.. h.Sink.OfType(AlertTypes.Ips).Select(a => a.Sid!.Value)];

    [Test]
    public void Shipped_xmas_rules_alert_on_scans_and_not_on_normal_traffic()
    {
        var h = new ChainHarness("ips(rules: xmas-scan.rules)");
        Assert.That(h.Run(Frames.Tcp(Attacker, 40000, Device, 80, TcpFlagsBuilder.Xmas)), Is.EqualTo(Verdict.Forward));
        h.Run(Frames.Tcp(Attacker, 40000, Device, 81, TcpFlagsBuilder.NoFlags));
        h.Run(Frames.Tcp(Attacker, 40000, Device, 82, TcpFlagsBuilder.FinOnly));
        h.Run(Frames.Tcp(Attacker, 40000, Device, 83, new TcpFlagsBuilder(Syn: true, Fin: true)));
        h.Run(Frames.Tcp(Attacker, 40000, Device, 84, TcpFlagsBuilder.SynOnly));
        h.Run(Frames.Tcp(Attacker, 40000, Device, 85, TcpFlagsBuilder.PshAck, "hello"));
        h.Run(Frames.Tcp(Attacker, 40000, Device, 86, new TcpFlagsBuilder(Fin: true, Ack: true)));
        Assert.That(Sids(h), Is.EqualTo(new[] { 1000001L, 1000002, 1000003, 1000004 }));
        var alert = h.Sink.Alerts[0];
        Assert.Multiple(() =>
        {
            Assert.That(alert.Type, Is.EqualTo(AlertTypes.Ips));
            Assert.That(alert.Info, Is.EqualTo("SCAN XMAS (FIN PSH URG)"));
            Assert.That(alert.FrameNumber, Is.EqualTo(1));
            Assert.That(alert.Element, Is.EqualTo("ips"));
        });
    }

    [Test]
    public void Drop_rules_drop_and_alert_rules_forward()
    {
        var h = Rules("drop tcp any any -> any 23 (msg:\"no telnet\"; sid:1;)\nalert tcp any any -> any 80 (msg:\"web\"; sid:2;)\n");
        Assert.That(h.Run(Frames.Tcp(Attacker, 1234, Device, 23, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Frames.Tcp(Attacker, 1234, Device, 80, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Frames.Tcp(Attacker, 1234, Device, 443, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward));
        Assert.That(Sids(h), Is.EqualTo(new[] { 1L, 2 }));
        Assert.That(h.Sink.Alerts[0].Info, Is.EqualTo("no telnet"));
    }

    [Test]
    public void Every_matching_rule_alerts_for_one_packet()
    {
        var h = Rules("alert tcp any any -> any 80 (sid:1;)\nalert ip any any -> any any (sid:2;)\nalert tcp any any -> any 81 (sid:3;)\n");
        h.Run(Frames.Tcp(Attacker, 1234, Device, 80, TcpFlagsBuilder.SynOnly));
        Assert.That(Sids(h), Is.EquivalentTo(new[] { 1L, 2 }));
    }

    [Test]
    public void Protocols_select_packets()
    {
        var h = Rules("alert tcp any any -> any any (sid:1;)\nalert udp any any -> any any (sid:2;)\nalert icmp any any -> any any (sid:3;)\nalert ip any any -> any any (sid:4;)\n");
        h.Run(Frames.Tcp(Attacker, 1, Device, 2, TcpFlagsBuilder.SynOnly));
        h.Run(Frames.Udp(Attacker, 1, Device, 2));
        h.Run(Frames.IcmpEcho(Attacker, Device));
        h.Run(Frames.ArpReply(Frames.GatewayMac, Attacker, Frames.DeviceMac, Device));
        Assert.That(h.Sink.Alerts.Select(a => (a.FrameNumber, a.Sid)), Is.EquivalentTo(new (long?, long?)[] { (1, 1), (1, 4), (2, 2), (2, 4), (3, 3), (3, 4) }));
    }

    [Test]
    public void Content_modifiers_nocase_offset_depth()
    {
        var h = Rules(
            "alert tcp any any -> any any (content:\"admin\"; sid:1;)\n" +
            "alert tcp any any -> any any (content:\"admin\"; nocase; sid:2;)\n" +
            "alert tcp any any -> any any (content:\"GET\"; depth:3; sid:3;)\n" +
            "alert tcp any any -> any any (content:\"/x\"; offset:4; depth:2; sid:4;)\n" +
            "alert tcp any any -> any any (content:\"|0d 0a 0d 0a|\"; sid:5;)\n");
        h.Run(Frames.Tcp(Attacker, 1, Device, 80, TcpFlagsBuilder.PshAck, "GET /x ADMIN\r\n\r\n"));
        h.Run(Frames.Tcp(Attacker, 1, Device, 80, TcpFlagsBuilder.PshAck, " GET /admin"));
        Assert.That(h.Sink.Alerts.Select(a => (a.FrameNumber, a.Sid)), Is.EquivalentTo(new (long?, long?)[] { (1, 2), (1, 3), (1, 4), (1, 5), (2, 1), (2, 2) }));
    }

    [Test]
    public void Relative_contents_backtrack_over_earlier_matches()
    {
        // The first "a=" is followed by "x", the second by "evil": Suricata retries earlier matches, so do we.
        var h = Rules(
            "alert tcp any any -> any any (content:\"a=\"; content:\"evil\"; distance:0; within:4; sid:1;)\n" +
            "alert tcp any any -> any any (content:\"a=\"; content:\"evil\"; distance:1; within:4; sid:2;)\n" +
            "alert tcp any any -> any any (content:\"evil\"; content:\"a=\"; distance:-6; within:2; sid:3;)\n");
        h.Run(Frames.Tcp(Attacker, 1, Device, 80, TcpFlagsBuilder.PshAck, "a=x&a=evil"));
        Assert.That(Sids(h), Is.EquivalentTo(new[] { 1L, 3 }));
    }

    [Test]
    public void Content_search_is_bounded_on_hostile_payloads()
    {
        var h = Rules("alert tcp any any -> any any (content:\"a\"; content:\"a\"; distance:0; content:\"a\"; distance:0; content:\"b\"; distance:0; within:1; sid:1;)\n");
        var payload = new string('a', 1400);
        Assert.That(h.Run(Frames.Tcp(Attacker, 1, Device, 80, TcpFlagsBuilder.PshAck, payload)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Sink.Alerts, Is.Empty);
    }

    [Test]
    public void Icmp_content_starts_after_the_8_byte_header()
    {
        var h = Rules("alert icmp any any -> any any (content:\"|00 00|\"; depth:2; sid:1;)\n");
        h.Run(Frames.IcmpEcho(Attacker, Device));
        Assert.That(h.Sink.Alerts, Is.Empty, "echo id/sequence are header, not payload");
    }

    [Test]
    public void Flow_direction_and_established_follow_the_tcp_handshake()
    {
        var h = Rules(
            "alert tcp any any -> any any (flow:to_server; sid:1;)\n" +
            "alert tcp any any -> any any (flow:to_client; sid:2;)\n" +
            "alert tcp any any -> any any (flow:established; sid:3;)\n" +
            "alert tcp any any -> any any (flow:not_established; sid:4;)\n" +
            "alert tcp any any -> any any (flow:to_server,established; content:\"hi\"; sid:5;)\n");
        h.Run(Frames.Tcp(Device, 5000, Attacker, 80, TcpFlagsBuilder.SynOnly));            // 1: client SYN
        h.Run(Frames.Tcp(Attacker, 80, Device, 5000, TcpFlagsBuilder.SynAck));             // 2: server SYN+ACK
        h.Run(Frames.Tcp(Device, 5000, Attacker, 80, TcpFlagsBuilder.AckOnly));            // 3: client ACK (not yet established)
        h.Run(Frames.Tcp(Device, 5000, Attacker, 80, TcpFlagsBuilder.PshAck, "hi"));       // 4: request
        h.Run(Frames.Tcp(Attacker, 80, Device, 5000, TcpFlagsBuilder.PshAck, "hi"));       // 5: response
        h.Run(Frames.Tcp(Attacker, 7, Device, 7, TcpFlagsBuilder.PshAck, "hi"));           // 6: mid-stream, never established
        var got = h.Sink.Alerts.Select(a => (a.FrameNumber!.Value, a.Sid!.Value)).ToHashSet();
        Assert.That(got, Is.EquivalentTo(new (long, long)[]
        {
            (1, 1), (1, 4), (2, 2), (2, 4), (3, 1), (3, 4), (4, 1), (4, 3), (4, 5), (5, 2), (5, 3), (6, 1), (6, 4),
        }));
    }

    [Test]
    public void Udp_flows_are_established_once_both_directions_were_seen()
    {
        var h = Rules("alert udp any any -> any any (flow:established,to_client; sid:1;)\nalert udp any any -> any any (flow:to_server; sid:2;)\n");
        h.Run(Frames.Udp(Device, 5353, Frames.CloudIp, 53, "q"));
        h.Run(Frames.Udp(Frames.CloudIp, 53, Device, 5353, "a"));
        h.Run(Frames.Udp(Device, 5353, Frames.CloudIp, 53, "q"));
        Assert.That(h.Sink.Alerts.Select(a => (a.FrameNumber, a.Sid)), Is.EqualTo(new (long?, long?)[] { (1, 2), (2, 1), (3, 2) }));
    }

    [Test]
    public void Header_only_rules_alert_on_the_first_packet_of_each_flow_direction()
    {
        var h = Rules("alert udp any any -> any any (sid:1;)\nalert udp any any -> any any (content:\"x\"; sid:2;)\n");
        h.Run(Frames.Udp(Device, 5000, Frames.CloudIp, 53, "x"));
        h.Run(Frames.Udp(Device, 5000, Frames.CloudIp, 53, "x"));
        h.Run(Frames.Udp(Frames.CloudIp, 53, Device, 5000, "x"));
        h.Run(Frames.Udp(Frames.CloudIp, 53, Device, 5000, "x"));
        h.Run(Frames.Udp(Device, 5001, Frames.CloudIp, 53, "x"));
        Assert.That(h.Sink.Alerts.Select(a => (a.FrameNumber, a.Sid)), Is.EqualTo(new (long?, long?)[] { (1, 1), (1, 2), (2, 2), (3, 1), (3, 2), (4, 2), (5, 1), (5, 2) }));
    }

    [Test]
    public void Threshold_limit_alerts_on_the_first_n_per_window()
    {
        var h = Rules("alert tcp any any -> any 23 (flags:S; threshold: type limit, track by_src, count 2, seconds 10; sid:1;)\n");
        var times = new long[] { 0, 1, 2, 3, 9_999_999, 10_000_000, 10_000_001, 10_000_002 };
        RunAt(h, times, i => Frames.Tcp(Attacker, 1, Device, 23, TcpFlagsBuilder.SynOnly));
        Assert.That(h.Sink.Alerts.Select(a => a.FrameNumber!.Value), Is.EqualTo(new long[] { 1, 2, 7, 8 }), "first + 10 s is still inside the window");
    }

    [Test]
    public void Threshold_threshold_alerts_on_every_nth_and_tracks_each_source()
    {
        var h = Rules("alert tcp any any -> any 23 (flags:S; threshold: type threshold, track by_src, count 3, seconds 60; sid:1;)\n");
        for (int i = 0; i < 7; i++)
        {
            h.Run(Frames.Tcp(Attacker, 1, Device, 23, TcpFlagsBuilder.SynOnly));
            h.Run(Frames.Tcp(Frames.CloudIp, 1, Device, 23, TcpFlagsBuilder.SynOnly));
        }

        Assert.That(h.Sink.Alerts.Select(a => a.FrameNumber!.Value), Is.EqualTo(new long[] { 5, 6, 11, 12 }));
    }

    [Test]
    public void Threshold_both_alerts_once_per_window_on_the_nth()
    {
        var h = Rules("alert tcp any any -> any 23 (flags:S; threshold: type both, track by_dst, count 3, seconds 5; sid:1;)\n");
        RunAt(h, [0, 1, 2, 3, 4, 5_000_000, 5_000_001, 5_000_002, 5_000_003], _ => Frames.Tcp(Attacker, 1, Device, 23, TcpFlagsBuilder.SynOnly));
        Assert.That(h.Sink.Alerts.Select(a => a.FrameNumber!.Value), Is.EqualTo(new long[] { 3, 9 }));
    }

    [Test]
    public void Thresholds_by_src_count_across_every_device_of_the_appliance_as_suricata_does()
    {
        var dir = WriteFiles([("t.rules", "alert tcp any any -> any 23 (flags:S; threshold: type both, track by_src, count 3, seconds 60; sid:7;)\n")]);
        var appliance = new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(dir));
        var cameras = Enumerable.Range(0, 3).Select(i => new ChainHarness(appliance, "ips(rules: t.rules)", $"cam{i}", $"02:00:00:00:01:0{i}")).ToArray();
        for (int i = 0; i < cameras.Length; i++)
        {
            cameras[i].Run(Frames.Tcp(Attacker, 1, $"192.0.2.{20 + i}", 23, TcpFlagsBuilder.SynOnly, "", Frames.GatewayMac, $"02:00:00:00:01:0{i}"));
        }

        Assert.That(cameras.Select(c => c.Sink.Alerts.Count), Is.EqualTo(new[] { 0, 0, 1 }), "one source probing three devices: the third probe is the third match");

        var otherAppliance = new ChainHarness("ips(rules: t.rules)", dir);
        otherAppliance.Run(Frames.Tcp(Attacker, 1, Device, 23, TcpFlagsBuilder.SynOnly));
        Assert.That(otherAppliance.Sink.Alerts, Is.Empty, "another appliance keeps its own counts");
    }

    [Test]
    public void Thresholds_shared_by_two_capture_threads_lose_no_match()
    {
        var dir = WriteFiles([("t.rules", "alert tcp any any -> any 23 (flags:S; threshold: type threshold, track by_dst, count 100, seconds 3600; sid:9;)\n")]);
        var appliance = new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(dir));
        var devices = Enumerable.Range(0, 2).Select(i => new ChainHarness(appliance, "ips(rules: t.rules, alert-cap: 1000000)", $"d{i}", $"02:00:00:00:01:0{i}")).ToArray();
        var probe = Frames.Tcp(Attacker, 1, Device, 23, TcpFlagsBuilder.SynOnly);
        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, t =>
        {
            for (int i = 0; i < 50_000; i++)
            {
                devices[t].Run(probe);
            }
        });

        Assert.That(devices.Sum(d => d.Sink.Alerts.Count), Is.EqualTo(1000), "100,000 matches to one destination, every 100th alerts");
    }

    [Test]
    public void Thresholded_drop_rules_still_drop_silently()
    {
        var h = Rules("drop tcp any any -> any 23 (flags:S; threshold: type limit, track by_src, count 1, seconds 60; sid:1;)\n");
        Assert.That(h.Run(Frames.Tcp(Attacker, 1, Device, 23, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Frames.Tcp(Attacker, 1, Device, 23, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
    }

    [Test]
    public void Alert_floods_are_capped_and_counted_into_the_next_alert()
    {
        var h = Rules("alert udp any any -> any 9 (msg:\"flood\"; content:\"x\"; sid:1;)\n", ", alert-cap: 3");
        for (int i = 0; i < 10; i++)
        {
            h.Run(Frames.Udp(Attacker, 1, Device, 9, "x"));
        }

        h.NowMicros += 1_000_000;
        h.Run(Frames.Udp(Attacker, 1, Device, 9, "x"));
        Assert.That(h.Sink.Alerts.Select(a => a.Count), Is.EqualTo(new[] { 1, 1, 1, 8 }));
        Assert.That(((IpsElement)h.Chain.Elements[0]).SuppressedAlerts, Is.EqualTo(7));
    }

    [Test]
    public void Flow_table_is_bounded_and_counts_evictions()
    {
        var h = Rules("alert tcp any any -> any any (flow:established; sid:1;)\n", ", flows: 16");
        for (ushort port = 1000; port < 1100; port++)
        {
            h.Run(Frames.Tcp(Attacker, port, Device, 80, TcpFlagsBuilder.SynOnly));
        }

        var ips = (IpsElement)h.Chain.Elements[0];
        Assert.That(ips.FlowEvictions, Is.EqualTo(100 - 16));
    }

    [Test]
    public void Malformed_frames_are_dropped_and_non_ip_forwarded()
    {
        var h = Rules("alert ip any any -> any any (sid:1;)\n");
        var truncated = Frames.Tcp(Attacker, 1, Device, 80, TcpFlagsBuilder.SynOnly)[..30];
        Assert.That(h.Run(truncated), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Frames.ArpReply(Frames.GatewayMac, Attacker, Frames.DeviceMac, Device)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Sink.Alerts, Is.Empty);
    }

    [Test]
    public void Home_net_argument_scopes_rules()
    {
        var h = Rules("alert tcp $EXTERNAL_NET any -> $HOME_NET 22 (sid:1;)\n", ", home-net: [192.0.2.0/24]");
        h.Run(Frames.Tcp(Attacker, 1, Device, 22, TcpFlagsBuilder.SynOnly));
        h.Run(Frames.Tcp("192.0.2.99", 1, Device, 22, TcpFlagsBuilder.SynOnly));
        Assert.That(h.Sink.Alerts.Select(a => a.FrameNumber), Is.EqualTo(new long?[] { 1 }));
    }

    [Test]
    public void Index_knows_which_flows_some_rule_reads_the_flow_state_of()
    {
        var (rules, _) = Parse("alert tcp any any -> any 80 (flow:established; sid:1;)\nalert tcp any any -> any 23 (sid:2;)\n" +
                               "alert tcp any any -> any any (content:\"x\"; sid:3;)\nalert udp any any -> any 53 (content:\"y\"; sid:4;)\n");
        var index = new RuleIndex(rules);
        Assert.Multiple(() =>
        {
            Assert.That(index.TcpFlowIsRead(5000, 80), Is.True, "flow condition, either direction");
            Assert.That(index.TcpFlowIsRead(80, 5000), Is.True);
            Assert.That(index.TcpFlowIsRead(5000, 23), Is.True, "header-only rule reads first-in-direction");
            Assert.That(index.TcpFlowIsRead(5000, 443), Is.False, "content-only rule does not read flow state");
            Assert.That(index.UdpFlowIsRead(5000, 53), Is.False);
            Assert.That(index.IcmpReadsFlow, Is.False);
        });
    }

    [Test]
    public void Flows_no_flow_rule_can_see_do_not_take_flow_table_entries()
    {
        var h = Rules("alert tcp any any -> any 80 (flow:established; sid:1;)\nalert tcp any any -> any any (content:\"x\"; sid:2;)\n", ", flows: 16");
        for (ushort port = 1000; port < 1100; port++)
        {
            h.Run(Frames.Tcp(Attacker, port, Device, 443, TcpFlagsBuilder.PshAck, "x"));
        }

        // The port-80 handshake is still tracked and established as before.
        h.Run(Frames.Tcp(Device, 5000, Attacker, 80, TcpFlagsBuilder.SynOnly));
        h.Run(Frames.Tcp(Attacker, 80, Device, 5000, TcpFlagsBuilder.SynAck));
        h.Run(Frames.Tcp(Device, 5000, Attacker, 80, TcpFlagsBuilder.AckOnly));
        h.Run(Frames.Tcp(Device, 5000, Attacker, 80, TcpFlagsBuilder.PshAck, "hi"));
        var ips = (IpsElement)h.Chain.Elements[0];
        Assert.Multiple(() =>
        {
            Assert.That(ips.FlowEvictions, Is.Zero);
            Assert.That(h.Sink.Alerts.Count(a => a.Sid == 2), Is.EqualTo(100));
            Assert.That(h.Sink.Alerts.Where(a => a.Sid == 1).Select(a => a.FrameNumber), Is.EqualTo(new long?[] { 104 }));
        });
    }

    [Test]
    public void Index_checks_a_frame_only_against_rules_for_its_destination_port()
    {
        var (rules, _) = Parse("alert tcp any any -> any 80 (sid:1;)\nalert tcp any any -> any [1:1000] (sid:2;)\nalert udp any any -> any 53 (sid:3;)\n" +
                               "alert ip any any -> any any (sid:4;)\nalert tcp any 25 <> any any (sid:5;)\nalert icmp any any -> any any (sid:6;)\n");
        var index = new RuleIndex(rules);
        long[] Of(RuleBucket bucket) => [.. bucket.Rules.Select(n => index.Rules[n].Sid)];
        Assert.Multiple(() =>
        {
            Assert.That(Of(index.Tcp(80)), Is.EqualTo(new long[] { 1, 2, 4, 5 }));
            Assert.That(Of(index.Tcp(25)), Is.EqualTo(new long[] { 2, 4, 5 }));
            Assert.That(Of(index.Tcp(2000)), Is.EqualTo(new long[] { 4, 5 }));
            Assert.That(Of(index.Udp(53)), Is.EqualTo(new long[] { 4 }.Prepend(3).Order()));
            Assert.That(Of(index.Icmp), Is.EqualTo(new long[] { 4, 6 }));
            Assert.That(Of(index.OtherIp), Is.EqualTo(new long[] { 4 }));
            Assert.That(index.BucketCount, Is.LessThan(10), "identical buckets are shared");
        });
    }

    [TestCase("S", 0x02, true)]
    [TestCase("S", 0x12, false)]
    [TestCase("S,A", 0x12, true)]
    [TestCase("S+", 0x12, true)]
    [TestCase("SA", 0x12, true)]
    [TestCase("*FR", 0x04, true)]
    [TestCase("*FR", 0x10, false)]
    [TestCase("!SA", 0x02, true)]
    [TestCase("!SA", 0x12, false)]
    [TestCase("!SA", 0x10, false)]
    [TestCase("!SA", 0x14, true)]
    [TestCase("*SU", 0x02, false)]
    [TestCase("*SU", 0x22, true)]
    [TestCase("0", 0x00, true)]
    [TestCase("0", 0x10, false)]
    [TestCase("!0", 0x10, true)]
    [TestCase("FPU", 0x29, true)]
    [TestCase("FPU", 0xA9, false)]
    [TestCase("FPU,12", 0xA9, true)]
    [TestCase("CE", 0xC0, true)]
    public void Flags_follow_suricata_semantics(string value, int packetFlags, bool expected)
    {
        var condition = TcpFlagsCondition.Parse(value, out var error);
        Assert.That(error, Is.Null);
        Assert.That(condition!.Matches((TcpFlags)packetFlags), Is.EqualTo(expected));
    }

    [Test]
    public void Element_arguments_and_rule_file_errors_are_reported_together()
    {
        var errors = Errors("ips(rules: [a.rules, b.rules, missing.rules], home-net: 999.1.1.1, flows: 1)",
            ("a.rules", "alert tcp any any -> any 80 (sid:1;)\nalert tcp any any -> any 80 (sid:2; bogus;)\n"),
            ("b.rules", "\n\nalert tcp any any -> any 81 (sid:1;)\n"));
        var text = string.Join("\n", errors);
        Assert.Multiple(() =>
        {
            Assert.That(errors.Any(e => e.File == "a.rules" && e.Line == 2 && e.Message.Contains("unsupported rule option 'bogus'", StringComparison.Ordinal)), text);
            Assert.That(errors.Any(e => e.File == "b.rules" && e.Line == 3 && e.Message.Contains("sid 1 is already used by the rule at a.rules:1", StringComparison.Ordinal)), text);
            Assert.That(errors.Any(e => e.Message.Contains("missing.rules", StringComparison.Ordinal)), text);
            Assert.That(errors.Any(e => e.Message.Contains("'home-net'", StringComparison.Ordinal)), text);
            Assert.That(errors.Any(e => e.Message.Contains("'flows' must be between", StringComparison.Ordinal)), text);
        });
    }

    [Test]
    public void Rule_files_without_rules_and_missing_rules_argument_are_errors()
    {
        Assert.That(Errors("ips(rules: empty.rules)", ("empty.rules", "# nothing\n")).Select(e => e.Message), Has.Some.Contains("contains no rules"));
        Assert.That(Errors("ips").Select(e => e.Message), Has.Some.Contains("missing required argument 'rules'"));
    }

    private static void RunAt(ChainHarness h, long[] offsets, Func<int, byte[]> frame)
    {
        long start = h.NowMicros;
        for (int i = 0; i < offsets.Length; i++)
        {
            h.NowMicros = start + offsets[i];
            h.Run(frame(i));
        }
    }

    [Test]
    public void Inspecting_frames_that_raise_no_alert_does_not_allocate()
    {
        var h = new ChainHarness("ips(rules: bench-50.rules)");
        var frames = new[]
        {
            Frames.Tcp(Attacker, 40000, Device, 80, TcpFlagsBuilder.PshAck, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"),
            Frames.Tcp(Attacker, 40000, Device, 23, TcpFlagsBuilder.PshAck, Encoding.ASCII.GetBytes("root\r\nxc3511\r\n")),
            Frames.Udp(Device, 5000, Frames.CloudIp, 53, "\u0007example\u0003com\0"),
            Frames.Tcp(Device, 40001, Frames.CloudIp, 443, TcpFlagsBuilder.SynOnly),
        };
        var frame = new Frame();
        var ips = h.Chain.Elements[0];
        void RunAll(int n)
        {
            for (int i = 0; i < n; i++)
            {
                frame.Load(frames[i % frames.Length], h.NowMicros, Direction.ToDevice);
                ips.Process(frame, h.Context);
            }
        }

        RunAll(1000); // warm-up: lazily created tables, JIT tiers
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll(1000);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
        Assert.That(h.Sink.Alerts, Is.Empty);
    }
}
