using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.AppTestSupport;

namespace KalkiEdge.UnitTests.Umboxes;

public class BruteForceTests
{
    private const string Attacker = Frames.AttackerIp;

    [Test]
    public void Four_attempts_within_the_window_raise_nothing_the_fifth_raises_brute_force()
    {
        var h = new ChainHarness("brute-force(port: 22, attempts: 5, window: 10s)");
        for (int i = 0; i < 4; i++)
        {
            Assert.That(h.Run(Syn(Attacker)), Is.EqualTo(Verdict.Forward));
            h.NowMicros += 2 * Second;
        }

        Assert.That(h.Sink.Alerts, Is.Empty);
        h.NowMicros -= 2 * Second;
        h.NowMicros += (2 * Second) - 1; // fifth attempt 10 s minus 1 µs after the first
        h.Run(Syn(Attacker));
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo(AlertTypes.BruteForce));
        Assert.That(alert.Count, Is.EqualTo(1), "one occurrence: the attempt that crossed the threshold");
        Assert.That(alert.Element, Is.EqualTo("brute-force"));
        Assert.That(alert.Info, Does.Contain("port 22").And.Contain(Attacker));
    }

    [Test]
    public void Attempts_spanning_exactly_the_window_do_not_count_together()
    {
        var h = new ChainHarness("brute-force(port: 22, attempts: 5, window: 10s)");
        long first = h.NowMicros;
        foreach (var at in new[] { 0, 2, 4, 6 })
        {
            h.NowMicros = first + (at * Second);
            h.Run(Syn(Attacker));
        }

        h.NowMicros = first + (10 * Second);
        h.Run(Syn(Attacker));
        Assert.That(h.Sink.Alerts, Is.Empty, "the first attempt left the window as the fifth arrived");
        h.NowMicros += 1;
        h.Run(Syn(Attacker)); // attempts at 2, 4, 6, 10 s and 10 s + 1 µs: five within 8 s
        Assert.That(h.Sink.OfType(AlertTypes.BruteForce).Count(), Is.EqualTo(1));
    }

    [Test]
    public void Only_syns_to_the_watched_port_toward_the_device_count()
    {
        var h = new ChainHarness("brute-force(port: 22, attempts: 2, window: 10s)");
        h.Run(Syn(Attacker, dstPort: 23));
        h.Run(Frames.Tcp(Attacker, 40000, Frames.DeviceIp, 22, TcpFlagsBuilder.SynAck));
        h.Run(Frames.Tcp(Attacker, 40000, Frames.DeviceIp, 22, TcpFlagsBuilder.AckOnly));
        h.Run(Frames.Tcp(Frames.DeviceIp, 22, Attacker, 22, TcpFlagsBuilder.SynOnly, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
        h.Run(Frames.Udp(Attacker, 40000, Frames.DeviceIp, 22));
        h.Run(Syn(Attacker));
        Assert.That(h.Sink.Alerts, Is.Empty);
        h.Run(Syn(Attacker));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
    }

    [Test]
    public void Sources_are_counted_separately()
    {
        var h = new ChainHarness("brute-force(port: 22, attempts: 3, window: 10s)");
        h.Run(Syn("203.0.113.1"));
        h.Run(Syn("203.0.113.2"));
        h.Run(Syn("203.0.113.1"));
        h.Run(Syn("203.0.113.2"));
        Assert.That(h.Sink.Alerts, Is.Empty);
        h.Run(Syn("203.0.113.2"));
        Assert.That(h.Sink.Alerts.Single().Info, Does.Contain("203.0.113.2"));
    }

    [Test]
    public void A_flood_raises_one_alert_per_window_with_the_attempts_aggregated()
    {
        var h = new ChainHarness("brute-force(port: 22, attempts: 5, window: 10s)");
        long start = h.NowMicros;
        for (int i = 0; i < 104; i++)
        {
            h.NowMicros = start + (i * 100_000L); // 10 per second; the fifth (at 0.4 s) alerts
            h.Run(Syn(Attacker));
        }

        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1), "attempts up to 10.3 s fall in the first alert's window");
        Assert.That(h.Sink.Alerts[0].Count, Is.EqualTo(1));
        h.NowMicros = start + (104 * 100_000L); // 10.4 s: exactly one window after the alert
        h.Run(Syn(Attacker));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(2));
        Assert.That(h.Sink.Alerts[1].Count, Is.EqualTo(100), "attempts 6..105: over the threshold since the previous alert");
    }

    [Test]
    public void After_a_quiet_period_a_new_burst_is_reported_afresh()
    {
        var h = new ChainHarness("brute-force(port: 22, attempts: 3, window: 10s)");
        for (int i = 0; i < 10; i++)
        {
            h.Run(Syn(Attacker)); // one alert, then 7 occurrences pending in its window
        }

        h.NowMicros += 60 * Second;
        h.Run(Syn(Attacker));
        h.Run(Syn(Attacker));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
        h.Run(Syn(Attacker));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(2));
        Assert.That(h.Sink.Alerts[1].Count, Is.EqualTo(1), "the ended burst's pending occurrences are not carried over");
    }

    [Test]
    public void Blocking_drops_the_source_both_ways_for_block_for_then_lets_it_through()
    {
        var h = new ChainHarness("brute-force(port: 22, attempts: 3, window: 10s, block: true, block-for: 1min)");
        Assert.That(h.Run(Syn(Attacker)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Syn(Attacker)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Syn(Attacker)), Is.EqualTo(Verdict.Drop), "the attempt that crosses the threshold is dropped");
        Assert.That(h.Sink.Alerts.Single().Info, Does.Contain("blocked for 1min"));
        Assert.That(h.Run(Frames.Udp(Attacker, 5000, Frames.DeviceIp, 53)), Is.EqualTo(Verdict.Drop));
        var reply = Frames.Tcp(Frames.DeviceIp, 22, Attacker, 40000, TcpFlagsBuilder.SynAck, "", Frames.DeviceMac, Frames.GatewayMac);
        Assert.That(h.Run(reply, Direction.FromDevice), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Syn("203.0.113.7")), Is.EqualTo(Verdict.Forward), "other sources are not affected");

        h.NowMicros += 60 * Second - 1;
        Assert.That(h.Run(Frames.Udp(Attacker, 5000, Frames.DeviceIp, 53)), Is.EqualTo(Verdict.Drop));
        h.NowMicros += 1;
        Assert.That(h.Run(Frames.Udp(Attacker, 5000, Frames.DeviceIp, 53)), Is.EqualTo(Verdict.Forward));
    }

    [Test]
    public void Without_block_the_attack_is_only_reported()
    {
        var h = new ChainHarness("brute-force(port: 22, attempts: 2, window: 10s)");
        Assert.That(h.Run(Syn(Attacker)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Syn(Attacker)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
    }

    [Test]
    public void Malformed_frames_are_dropped_and_non_ip_frames_pass()
    {
        var h = new ChainHarness("brute-force(port: 22)");
        var syn = Syn(Attacker);
        Assert.That(h.Run(syn[..40]), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Frames.ArpReply(Frames.GatewayMac, "192.0.2.1", Frames.DeviceMac, Frames.DeviceIp)), Is.EqualTo(Verdict.Forward));
    }

    [Test]
    public void Reports_every_argument_error_with_its_place()
    {
        var errors = ChainHarness.Errors("brute-force(attempts: 0, window: 10,\n  block-for: 5min, max-sources: 4)");
        Assert.That(errors.Select(e => e.Message), Has.Some.Contain("missing required argument 'port'"));
        Assert.That(errors.Select(e => e.Message), Has.Some.Contain("'attempts' must be between 1 and 1000"));
        Assert.That(errors.Select(e => e.Message), Has.Some.Contain("duration '10' has no unit"));
        Assert.That(errors.Select(e => e.Message), Has.Some.Contain("'block-for' needs 'block: true'"));
        Assert.That(errors.Select(e => e.Message), Has.Some.Contain("'max-sources' must be between 16"));
        var blockFor = errors.Single(e => e.Message.Contains("block-for", StringComparison.Ordinal));
        Assert.That((blockFor.Line, blockFor.Column), Is.EqualTo((2, 14)));
        var attempts = errors.Single(e => e.Message.Contains("'attempts'", StringComparison.Ordinal));
        Assert.That((attempts.Line, attempts.Column), Is.EqualTo((1, 23)));
    }

    [Test]
    public void Rejects_tables_that_would_exceed_the_memory_limit()
    {
        var errors = ChainHarness.Errors("brute-force(port: 22, attempts: 1000, max-sources: 1048576)");
        Assert.That(errors.Single().Message, Does.Contain("exceeds"));
    }
}
