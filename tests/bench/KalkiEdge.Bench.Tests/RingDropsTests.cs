using KalkiEdge.Bench.Suites;

namespace KalkiEdge.Bench.Tests;

public sealed class RingDropsTests
{
    [Test]
    public void The_ring_drop_column_is_summed_over_the_port_rows_and_nothing_after_them()
    {
        const string counters = """
            <6>KalkiEdge[0] 1073370 frames: 1073370 forwarded, 0 dropped, 0 replied
            <6>KalkiEdge[0] port         received       sent  send-err truncated  pcap-recv ring-drop  if-drop
            <6>KalkiEdge[0] dev0          1073367          3         0         0    1078275      4908        0
            <6>KalkiEdge[0] up0                 3    1073367         0         0          3        12        0
            <6>KalkiEdge[0] signing: 10 frames signed, 9 verified, 5 dropped
            """;

        Assert.That(LiveBridgeSuite.RingDrops(counters), Is.EqualTo(4920));
    }

    [Test]
    public void Counters_without_a_port_table_are_an_error_that_shows_them()
    {
        Assert.That(() => LiveBridgeSuite.RingDrops("kalki-edge: stopped"), Throws.InvalidOperationException.With.Message.Contains("kalki-edge: stopped"));
    }
}
