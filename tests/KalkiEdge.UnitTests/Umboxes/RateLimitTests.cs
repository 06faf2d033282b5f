using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.NetTestKit;

namespace KalkiEdge.UnitTests.Umboxes;

public class RateLimitTests
{
    private const string Device = Frames.DeviceIp;
    private const string Attacker = Frames.AttackerIp;

    private static byte[] InUdp(string from) => Frames.Udp(from, 40000, Device, 5683, "x");

    private static byte[] Syn(string from, ushort srcPort = 40000) => Frames.Tcp(from, srcPort, Device, 80, TcpFlagsBuilder.SynOnly);

    private static RateLimit Element(ChainHarness h) => (RateLimit)h.Chain.Elements[0];

    [Test]
    public void Pps_limit_has_exact_one_second_window_boundaries()
    {
        var h = new ChainHarness("rate-limit(pps: 5)");
        var frame = InUdp(Attacker);
        long start = h.NowMicros;
        for (int i = 0; i < 5; i++)
        {
            Assert.That(h.Run(frame), Is.EqualTo(Verdict.Forward), $"packet {i + 1} of 5");
            h.NowMicros += 100_000;
        }

        Assert.That(h.Run(frame), Is.EqualTo(Verdict.Drop), "6th packet in the window");
        h.NowMicros = start + Second - 1;
        Assert.That(h.Run(frame), Is.EqualTo(Verdict.Drop), "last microsecond of the window");
        h.NowMicros = start + Second;
        Assert.That(h.Run(frame), Is.EqualTo(Verdict.Forward), "a new window opens exactly 1 s after the first packet");
        Assert.That(Element(h).OverLimit, Is.EqualTo(2));
    }

    [Test]
    public void Each_source_has_its_own_budget()
    {
        var h = new ChainHarness("rate-limit(pps: 2)");
        Assert.That(h.Run(InUdp(Attacker)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(InUdp(Attacker)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(InUdp(Attacker)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(InUdp(Frames.CloudIp)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(InUdp("203.0.113.67")), Is.EqualTo(Verdict.Forward));
    }

    [Test]
    public void Prefix_aggregates_sources_into_one_budget()
    {
        var slash24 = new ChainHarness("rate-limit(pps: 2, prefix: /24)");
        Assert.That(slash24.Run(InUdp("203.0.113.1")), Is.EqualTo(Verdict.Forward));
        Assert.That(slash24.Run(InUdp("203.0.113.2")), Is.EqualTo(Verdict.Forward));
        Assert.That(slash24.Run(InUdp("203.0.113.3")), Is.EqualTo(Verdict.Drop));
        Assert.That(slash24.Run(InUdp("198.51.100.3")), Is.EqualTo(Verdict.Forward));
        Assert.That(slash24.Sink.Alerts.Single().Info, Does.StartWith("203.0.113.0/24:"));

        var host = new ChainHarness("rate-limit(pps: 2, prefix: 32)");
        foreach (var ip in new[] { "203.0.113.1", "203.0.113.2", "203.0.113.3" })
        {
            Assert.That(host.Run(InUdp(ip)), Is.EqualTo(Verdict.Forward));
        }
    }

    [Test]
    public void Connection_limit_counts_new_tcp_connections_per_window()
    {
        var h = new ChainHarness("rate-limit(connections: 5, window: 10s)");
        long start = h.NowMicros;
        for (int i = 0; i < 5; i++)
        {
            Assert.That(h.Run(Syn(Attacker, (ushort)(40000 + i))), Is.EqualTo(Verdict.Forward), $"connection {i + 1}");
            h.NowMicros += Second;
        }

        Assert.That(h.Run(Syn(Attacker, 40005)), Is.EqualTo(Verdict.Drop), "6th SYN within 10 s");
        Assert.That(h.Run(Frames.Tcp(Attacker, 40000, Device, 80, TcpFlagsBuilder.PshAck)), Is.EqualTo(Verdict.Forward), "established traffic is not a new connection");
        Assert.That(h.Run(Frames.Tcp(Attacker, 80, Device, 40000, TcpFlagsBuilder.SynAck)), Is.EqualTo(Verdict.Forward), "SYN-ACK answers a connection, it opens none");
        Assert.That(h.Run(Syn(Frames.CloudIp)), Is.EqualTo(Verdict.Forward), "another source");
        h.NowMicros = start + (10 * Second) - 1;
        Assert.That(h.Run(Syn(Attacker, 40006)), Is.EqualTo(Verdict.Drop));
        h.NowMicros = start + (10 * Second);
        Assert.That(h.Run(Syn(Attacker, 40007)), Is.EqualTo(Verdict.Forward), "new window");
    }

    [Test]
    public void Kalki_u1_limits_work_together()
    {
        var h = new ChainHarness("rate-limit(pps: 5000, connections: 5)");
        for (int i = 0; i < 5; i++)
        {
            Assert.That(h.Run(Syn(Attacker, (ushort)(40000 + i))), Is.EqualTo(Verdict.Forward));
        }

        Assert.That(h.Run(Syn(Attacker, 40009)), Is.EqualTo(Verdict.Drop));
        var data = InUdp(Attacker);
        int forwarded = 0;
        for (int i = 0; i < 6000; i++)
        {
            forwarded += h.Run(data) == Verdict.Forward ? 1 : 0;
        }

        Assert.That(forwarded, Is.EqualTo(5000 - 6), "6 SYNs already used this second's packet budget");
        Assert.That(h.Sink.OfType(AlertTypes.Flood).Count(), Is.EqualTo(1));
    }

    [Test]
    public void Flood_alerts_are_aggregated_once_per_source_per_alert_window_with_a_count()
    {
        var h = new ChainHarness("rate-limit(pps: 5000, alert-window: 10s)");
        var attack = InUdp(Attacker);
        long start = h.NowMicros;
        for (int i = 0; i < 20_000; i++)
        {
            h.NowMicros = start + (i * 10L);
            h.Run(attack);
        }

        var first = h.Sink.Alerts.Single();
        Assert.That(first.Type, Is.EqualTo(AlertTypes.Flood));
        Assert.That(first.Count, Is.EqualTo(1));
        Assert.That(first.Info, Is.EqualTo("203.0.113.66: 5001 packets within 1s, over the pps limit of 5000"));
        Assert.That(first.FrameNumber, Is.EqualTo(5001));
        Assert.That(first.Element, Is.EqualTo("rate-limit"));

        // A new 1 s pps window whose over-limit packet falls 1 µs before the alert window ends: counted, not raised.
        h.NowMicros = first.TimeMicros + (10 * Second) - 1;
        for (int i = 0; i < 5001; i++)
        {
            h.Run(attack);
        }

        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1), "still within the alert window of the first alert");
        h.NowMicros = first.TimeMicros + (10 * Second);
        h.Run(attack);

        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(2));
        Assert.That(h.Sink.Alerts[1].Count, Is.EqualTo(15_001), "14,999 suppressed in the first window, one at the window's edge, and this one");
        Assert.That(Element(h).OverLimit, Is.EqualTo(15_002));
    }

    [Test]
    public void Only_the_configured_direction_is_limited()
    {
        var inbound = new ChainHarness("rate-limit(pps: 1)");
        var outbound = Frames.Udp(Device, 5683, Attacker, 40000, "x", Frames.DeviceMac, Frames.GatewayMac);
        for (int i = 0; i < 3; i++)
        {
            Assert.That(inbound.Run(outbound, Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        }

        var any = new ChainHarness("rate-limit(pps: 1, dir: any)");
        Assert.That(any.Run(outbound, Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(any.Run(InUdp(Attacker)), Is.EqualTo(Verdict.Drop), "both directions count against the remote 203.0.113.66");
    }

    [Test]
    public void Non_ip_frames_pass_and_malformed_frames_are_dropped()
    {
        var h = new ChainHarness("rate-limit(pps: 1)");
        var arp = Frames.ArpReply(Frames.GatewayMac, "192.0.2.1", Frames.DeviceMac, Device);
        Assert.That(h.Run(arp), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(arp), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(TruncateTcp(Syn(Attacker), 8)), Is.EqualTo(Verdict.Drop));
        Assert.That(Element(h).Malformed, Is.EqualTo(1));
    }

    [Test]
    public void Source_table_is_bounded_and_recycles_without_allocating()
    {
        var h = new ChainHarness("rate-limit(pps: 100, max-sources: 64)");
        var frame = InUdp(Attacker);
        uint baseIp = V4("203.0.113.0");
        for (uint i = 0; i < 128; i++)
        {
            h.Run(frame.WithSrcIp(baseIp + i));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (uint i = 128; i < 10_000; i++)
        {
            h.Run(frame.WithSrcIp(baseIp + i));
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(Element(h).TrackedSources, Is.EqualTo(64));
        Assert.That(Element(h).SourceEvictions, Is.EqualTo(10_000 - 64));
    }

    [TestCase("rate-limit", "give at least one limit")]
    [TestCase("rate-limit(pps: 0)", "'pps' must be between 1 and")]
    [TestCase("rate-limit(pps: fast)", "'pps' must be a whole number")]
    [TestCase("rate-limit(pps: 10, window: 1s)", "'window' is the period of the 'connections' limit")]
    [TestCase("rate-limit(connections: 5, window: 10)", "duration '10' has no unit")]
    [TestCase("rate-limit(pps: 10, prefix: /33)", "'prefix' must be a prefix length /0../32")]
    [TestCase("rate-limit(pps: 10, prefix6: /129)", "'prefix6' must be a prefix length /0../128")]
    [TestCase("rate-limit(pps: 10, dir: up)", "'dir' must be one of in, out, any")]
    [TestCase("rate-limit(pps: 10, max-sources: 0)", "'max-sources' must be between 1 and")]
    public void Rejects_bad_arguments(string text, string message)
    {
        ChainHarness.AssertRejects(text, message);
    }

    [Test]
    public void Errors_carry_line_and_column()
    {
        const string text = "pass ->\n  rate-limit(pps: 10,\n             prefix: /40)";
        var e = ChainHarness.Errors(text).ErrorMentioning("'prefix' must be");
        Assert.That((e.Line, e.Column), Is.EqualTo(PositionOf(text, "/40")));
    }
}
