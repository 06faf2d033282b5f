using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.NetTestKit;

namespace KalkiEdge.UnitTests.Umboxes;

public class IpBlockTests
{
    private const string Device = Frames.DeviceIp;

    private static byte[] From(string remote) => Frames.Udp(remote, 40000, Device, 5683, "x");

    private static byte[] To(string remote) => Frames.Udp(Device, 5683, remote, 40000, "x", Frames.DeviceMac, Frames.GatewayMac);

    [TestCase("203.0.113.66", true)]
    [TestCase("203.0.113.0", true)]
    [TestCase("203.0.113.255", true)]
    [TestCase("203.0.114.1", false)]
    [TestCase("198.51.100.7", true)]
    [TestCase("198.51.100.8", false)]
    [TestCase("192.0.2.200", false)]
    public void Drops_frames_from_listed_addresses_and_blocks(string remote, bool blocked)
    {
        var h = new ChainHarness("ip-block(block: [203.0.113.0/24, 198.51.100.7])");
        Assert.That(h.Run(From(remote)), Is.EqualTo(blocked ? Verdict.Drop : Verdict.Forward));
        Assert.That(h.Run(To(remote), Direction.FromDevice), Is.EqualTo(blocked ? Verdict.Drop : Verdict.Forward), "dir defaults to any");
    }

    [Test]
    public void Large_lists_are_matched_by_prefix_length_groups()
    {
        var list = string.Join(", ", Enumerable.Range(0, 40).Select(i => $"198.51.100.{i * 4}/30").Append("203.0.113.64/26").Append("192.0.2.99"));
        var h = new ChainHarness($"ip-block(block: [{list}])");
        Assert.That(h.Run(From("198.51.100.0")), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(From("198.51.100.159")), Is.EqualTo(Verdict.Drop), "last address of the 40th /30");
        Assert.That(h.Run(From("198.51.100.160")), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(From("203.0.113.127")), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(From("203.0.113.128")), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(From("192.0.2.99")), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(From("192.0.2.98")), Is.EqualTo(Verdict.Forward));
    }

    [Test]
    public void Direction_limits_what_is_blocked()
    {
        var outbound = new ChainHarness("ip-block(block: [203.0.113.0/24], dir: out)");
        Assert.That(outbound.Run(To(Frames.AttackerIp), Direction.FromDevice), Is.EqualTo(Verdict.Drop));
        Assert.That(outbound.Run(From(Frames.AttackerIp)), Is.EqualTo(Verdict.Forward));
        var inbound = new ChainHarness("ip-block(block: [203.0.113.0/24], dir: in)");
        Assert.That(inbound.Run(To(Frames.AttackerIp), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(inbound.Run(From(Frames.AttackerIp)), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Arp_from_a_blocked_address_is_dropped_and_other_ethertypes_pass()
    {
        var h = new ChainHarness("ip-block(block: [192.0.2.66])");
        Assert.That(h.Run(Frames.ArpReply(Frames.GatewayMac, "192.0.2.66", Frames.DeviceMac, Device)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Frames.ArpReply(Frames.GatewayMac, "192.0.2.1", Frames.DeviceMac, Device)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Lldp()), Is.EqualTo(Verdict.Forward));
    }

    [Test]
    public void No_alerts_unless_asked()
    {
        var h = new ChainHarness("ip-block(block: [203.0.113.0/24])");
        h.Run(From(Frames.AttackerIp));
        Assert.That(h.Sink.Alerts, Is.Empty);
        Assert.That(((IpBlock)h.Chain.Elements[0]).Blocked, Is.EqualTo(1));
    }

    [Test]
    public void Alerts_once_per_address_per_window_with_a_count()
    {
        var h = new ChainHarness("ip-block(block: [203.0.113.0/24], alert: true, alert-window: 5s)");
        for (int i = 0; i < 100; i++)
        {
            h.Run(To(Frames.AttackerIp), Direction.FromDevice);
            h.Run(From("203.0.113.67"));
            h.NowMicros += 10_000;
        }

        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(2), "one per blocked address");
        Assert.That(h.Sink.Alerts[0].Type, Is.EqualTo(AlertTypes.AbnormalEgress));
        Assert.That(h.Sink.Alerts[0].Info, Is.EqualTo("blocked to 203.0.113.66 (block list)"));
        Assert.That(h.Sink.Alerts[1].Info, Is.EqualTo("blocked from 203.0.113.67 (block list)"));
        h.NowMicros += 4 * Second;
        h.Run(To(Frames.AttackerIp), Direction.FromDevice);
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(3));
        Assert.That(h.Sink.Alerts[2].Count, Is.EqualTo(100), "99 suppressed plus this one");
    }

    [Test]
    public void Alert_type_is_configurable()
    {
        var h = new ChainHarness("ip-block(block: [203.0.113.0/24], alert: true, alert-type: ips)");
        h.Run(From(Frames.AttackerIp));
        Assert.That(h.Sink.Alerts.Single().Type, Is.EqualTo(AlertTypes.Ips));
    }

    [Test]
    public void Malformed_frames_are_dropped()
    {
        var h = new ChainHarness("ip-block(block: [203.0.113.0/24])");
        Assert.That(h.Run(TruncateTcp(Frames.Tcp(Frames.CloudIp, 1, Device, 2, TcpFlagsBuilder.SynOnly), 10)), Is.EqualTo(Verdict.Drop));
        Assert.That(((IpBlock)h.Chain.Elements[0]).Malformed, Is.EqualTo(1));
    }

    [TestCase("ip-block", "missing required argument 'block'")]
    [TestCase("ip-block(block: [203.0.113.0/24, 10.0.0.0/40])", "'10.0.0.0/40' is not an address or CIDR block")]
    [TestCase("ip-block(block: [])", "'block' lists no addresses")]
    [TestCase("ip-block(block: any)", "would drop everything; use block-all")]
    [TestCase("ip-block(block: 203.0.113.0/24, alert: true, alert-type: boom)", "'alert-type' must be one of")]
    [TestCase("ip-block(block: 203.0.113.0/24, alert-type: ips)", "'alert-type' only applies with 'alert: true'")]
    [TestCase("ip-block(block: 203.0.113.0/24, alert: true, alert-window: 5)", "duration '5' has no unit")]
    [TestCase("ip-block(block: 203.0.113.0/24, alert: maybe)", "'alert' must be true or false")]
    public void Rejects_bad_arguments(string text, string message)
    {
        ChainHarness.AssertRejects(text, message);
    }

    [Test]
    public void Errors_carry_line_and_column()
    {
        const string text = "ip-block(block: [203.0.113.0/24,\n                 2001:db8::/129])";
        var e = ChainHarness.Errors(text).ErrorMentioning("is not an address or CIDR block");
        Assert.That((e.Line, e.Column), Is.EqualTo(PositionOf(text, "2001:db8::/129")));
    }

    [Test]
    public void Ipv6_blocks_match_ipv6_addresses_only()
    {
        var h = new ChainHarness("ip-block(block: [2001:db8:bad::/48])");
        Assert.That(h.Run(From(Frames.AttackerIp)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Udp6("2001:db8:bad::1", 5000, "2001:db8:1::10", 5683)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Udp6("2001:db8:bad:1::1", 5000, "2001:db8:1::10", 5683)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Udp6("2001:db8:bae::1", 5000, "2001:db8:1::10", 5683)), Is.EqualTo(Verdict.Forward));
    }
}
