using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.AppTestSupport;

namespace KalkiEdge.UnitTests.Umboxes;

public class EgressGuardTests
{
    private const string Chain = "egress-guard(allow: [{remote: 198.51.100.0/24, rport: 443, proto: tcp}, {rport: 53, proto: udp}, {remote: 198.51.100.7, proto: icmp}], lports: [22, 8000-8010], block: true, alert-window: 1min)";

    private static byte[] Out(string dstIp, ushort dstPort, ushort srcPort = 51000) =>
        Frames.Tcp(Frames.DeviceIp, srcPort, dstIp, dstPort, TcpFlagsBuilder.SynOnly, "", Frames.DeviceMac, Frames.GatewayMac);

    private static byte[] OutUdp(string dstIp, ushort dstPort) =>
        Frames.Udp(Frames.DeviceIp, 51000, dstIp, dstPort, "", Frames.DeviceMac, Frames.GatewayMac);

    [Test]
    public void Allowed_destinations_and_service_replies_pass_without_alerts()
    {
        var h = new ChainHarness(Chain);
        Assert.That(h.Run(Out("198.51.100.20", 443), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Out("198.51.100.255", 443), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(OutUdp("203.0.113.53", 53), Direction.FromDevice), Is.EqualTo(Verdict.Forward), "rport without remote = any remote");
        Assert.That(h.Run(Out(Frames.AttackerIp, 40000, srcPort: 22), Direction.FromDevice), Is.EqualTo(Verdict.Forward), "reply of its SSH service");
        Assert.That(h.Run(Out(Frames.AttackerIp, 40000, srcPort: 8010), Direction.FromDevice), Is.EqualTo(Verdict.Forward), "port range end");
        Assert.That(h.Run(Frames.IcmpEcho(Frames.DeviceIp, "198.51.100.7", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Frames.ArpReply(Frames.DeviceMac, Frames.DeviceIp, Frames.GatewayMac, "192.0.2.1"), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Syn(Frames.AttackerIp, 4444)), Is.EqualTo(Verdict.Forward), "traffic toward the device is not egress");
        Assert.That(h.Sink.Alerts, Is.Empty);
    }

    [Test]
    public void Answers_to_flows_the_remote_side_opened_are_not_egress()
    {
        var h = new ChainHarness("egress-guard(allow: [], block: true)");
        string a = Frames.AttackerIp;
        Assert.That(h.Run(Syn(a, 8080, 40001)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Frames.Tcp(Frames.DeviceIp, 8080, a, 40001, TcpFlagsBuilder.SynAck, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Forward), "SYN/ACK of an open port");
        Assert.That(h.Run(Frames.Tcp(a, 40001, Frames.DeviceIp, 8080, TcpFlagsBuilder.PshAck, "GET /")), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Frames.Tcp(Frames.DeviceIp, 8080, a, 40001, TcpFlagsBuilder.PshAck, "HTTP/1.1 200 OK", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Forward), "data of the remote's connection");
        Assert.That(h.Run(Frames.Tcp(Frames.DeviceIp, 9, a, 40002, new TcpFlagsBuilder(Rst: true, Ack: true), "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Forward), "RST/ACK of a closed port, even when the probe (a FIN) opened no flow");
        Assert.That(h.Run(Frames.Udp(a, 40003, Frames.DeviceIp, 161)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Frames.Udp(Frames.DeviceIp, 161, a, 40003, "public", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Forward), "UDP answer");
        Assert.That(h.Sink.Alerts, Is.Empty);

        Assert.That(h.Run(Frames.Tcp(Frames.DeviceIp, 51000, a, 6667, TcpFlagsBuilder.SynOnly, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Drop), "a flow the device opens is egress");
        Assert.That(h.Run(Frames.Tcp(a, 6667, Frames.DeviceIp, 51000, TcpFlagsBuilder.SynAck)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Frames.Tcp(Frames.DeviceIp, 51000, a, 6667, TcpFlagsBuilder.PshAck, "NICK bot", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Drop), "and stays egress after the remote answers");
        Assert.That(h.Sink.Alerts.Single().Type, Is.EqualTo(AlertTypes.AbnormalEgress));
    }

    [TestCase("198.51.100.20", 80, "wrong remote port")]
    [TestCase("203.0.113.66", 443, "remote outside the block")]
    [TestCase("198.51.101.1", 443, "neighbouring block")]
    public void Traffic_outside_the_allow_list_raises_abnormal_egress_and_is_dropped(string dst, int port, string why)
    {
        var h = new ChainHarness(Chain);
        Assert.That(h.Run(Out(dst, (ushort)port), Direction.FromDevice), Is.EqualTo(Verdict.Drop), why);
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo(AlertTypes.AbnormalEgress));
        Assert.That(alert.Info, Does.Contain($"{dst}:{port}").And.Contain("dropped"));
    }

    [Test]
    public void Protocol_must_match_the_entry()
    {
        var h = new ChainHarness(Chain);
        Assert.That(h.Run(OutUdp("198.51.100.20", 443), Direction.FromDevice), Is.EqualTo(Verdict.Drop), "443 is allowed for tcp only");
        Assert.That(h.Run(Frames.IcmpEcho(Frames.DeviceIp, "198.51.100.8", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Sink.Alerts.Single().Count, Is.EqualTo(1));
    }

    [Test]
    public void Alerts_once_per_window_with_the_frames_aggregated()
    {
        var h = new ChainHarness("egress-guard(allow: [], alert-window: 1min)");
        long start = h.NowMicros;
        for (int i = 0; i < 600; i++)
        {
            h.NowMicros = start + (i * 100_000L); // 10 frames/s for one minute
            Assert.That(h.Run(Out(Frames.AttackerIp, (ushort)(1000 + i)), Direction.FromDevice), Is.EqualTo(Verdict.Forward), "block: false only reports");
        }

        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
        h.NowMicros = start + (60 * Second) - 1;
        h.Run(Out(Frames.AttackerIp, 9), Direction.FromDevice);
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1), "still inside the window");
        h.NowMicros = start + (60 * Second);
        h.Run(Out(Frames.AttackerIp, 9), Direction.FromDevice);
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(2));
        Assert.That(h.Sink.Alerts[1].Count, Is.EqualTo(601), "the 600 frames after the first alert, and this one");
    }

    [Test]
    public void A_scan_of_a_hundred_thousand_destinations_raises_one_alert_and_allocates_nothing_per_frame()
    {
        var h = new ChainHarness("egress-guard(allow: [{remote: 2001:db8:ffff::/48}], block: true, alert-window: 1s, max-flows: 1024)");
        // The flow table grows once up to max-flows; from then on new flows recycle evicted entries.
        FloodToDistinctV6Destinations(h, SynV6FromDevice("2001:db8::1", 23), 2048);
        long allocated = FloodToDistinctV6Destinations(h, SynV6FromDevice("2001:db8::2", 23), 100_000);
        Assert.That(allocated, Is.LessThan(10_000));
        Assert.That(h.Sink.Alerts.Single().Info, Does.Contain("-> [2001:db8::1]:23"));
        Assert.That(h.Chain.Elements[0].Counters.Dropped, Is.EqualTo(2049 + 100_001));
        Assert.That(Element<KalkiEdge.Umboxes.Elements.EgressGuard>(h).Flows.Count, Is.EqualTo(1024), "bounded by max-flows");
        Assert.That(h.Run(SynV6FromDevice("2001:db8:ffff::5", 443), Direction.FromDevice), Is.EqualTo(Verdict.Forward), "IPv6 CIDR allow entry");
    }

    [Test]
    public void Malformed_frames_are_dropped()
    {
        var h = new ChainHarness(Chain);
        var frame = Out("198.51.100.20", 443);
        frame[14 + 2] = 0x7F; // IPv4 total length beyond the captured bytes
        Assert.That(h.Run(frame, Direction.FromDevice), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Sink.Alerts, Is.Empty);
    }

    [Test]
    public void Reports_every_argument_error_with_its_place()
    {
        var errors = ChainHarness.Errors("egress-guard(allow: [{}, {remote: 300.1.1.1}, {proto: icmp, rport: 7}, {dir: in, proto: tcp},\n  {rport: 70000, proto: sctp, host: x}, 443], lports: [ssh])");
        var messages = errors.Select(e => e.Message).ToList();
        Assert.That(messages, Has.Some.Contain("empty allow entry"));
        Assert.That(messages, Has.Some.Contain("'300.1.1.1' is not an address"));
        Assert.That(messages, Has.Some.Contain("'rport' needs 'proto: tcp' or 'proto: udp'"));
        Assert.That(messages, Has.Some.Contain("remove 'dir'"));
        Assert.That(messages, Has.Some.Contain("'70000' is not a port"));
        Assert.That(messages, Has.Some.Contain("'proto' must be one of"));
        Assert.That(messages, Has.Some.Contain("unknown argument 'host'"));
        Assert.That(messages, Has.Some.Contain("allow entry must be a map"));
        Assert.That(messages, Has.Some.Contain("'lports': 'ssh' is not a port"));
        var sctp = errors.Single(e => e.Message.Contains("sctp", StringComparison.Ordinal));
        Assert.That(sctp.Line, Is.EqualTo(2));
        Assert.That(ChainHarness.Errors("egress-guard(block: true)").Single().Message, Does.Contain("missing required argument 'allow'"));
    }
}
