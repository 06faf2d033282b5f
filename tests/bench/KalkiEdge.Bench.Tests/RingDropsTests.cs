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

    [Test]
    public void The_collector_line_gives_the_collections_of_every_generation_and_the_pause()
    {
        const string counters = """
            <6>KalkiEdge[0] dev0          1073367          3         0         0    1078275      4908        0
            <6>KalkiEdge[0] garbage collector while bridging (19 s): 68208 bytes allocated (3626 B/s), collections gen0 3, gen1 1, gen2 2, managed threads paused 12.5 ms in all
            """;

        Assert.That(LiveBridgeSuite.Collections(counters), Is.EqualTo((6, 12.5)));
    }

    [Test]
    public void Counters_without_the_collector_line_are_an_error_that_shows_them()
    {
        Assert.That(() => LiveBridgeSuite.Collections("kalki-edge: stopped"), Throws.InvalidOperationException.With.Message.Contains("kalki-edge: stopped"));
    }
}
