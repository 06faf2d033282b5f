using System.Diagnostics;
using KalkiEdge.Host.Commands;

namespace KalkiEdge.UnitTests.Host;

public class CollectorActivityTests
{
    [Test]
    public void The_line_gives_each_generation_its_own_collections_and_the_rates_over_the_stretch()
    {
        var start = new CollectorActivity(AllocatedBytes: 1_000, Gen0: 5, Gen1: 2, Gen2: 1, Paused: TimeSpan.FromMilliseconds(10), Timestamp: 0);
        // CollectionCount(0) counts every collection and (1) every gen1 or gen2 one: 4 collections, one of them gen1.
        var end = new CollectorActivity(AllocatedBytes: 5_000, Gen0: 9, Gen1: 3, Gen2: 1, Paused: TimeSpan.FromMilliseconds(12.5), Timestamp: 2 * Stopwatch.Frequency);

        Assert.That(end.DescribeSince(start), Is.EqualTo(
            "garbage collector while bridging (2 s): 4000 bytes allocated (2000 B/s), collections gen0 3, gen1 1, gen2 0, managed threads paused 2.5 ms in all"));
    }

    [Test]
    public void A_snapshot_counts_what_this_process_allocates()
    {
        var start = CollectorActivity.Now();
        var kept = new byte[1 << 20];
        GC.KeepAlive(kept);

        Assert.That(CollectorActivity.Now().AllocatedBytes - start.AllocatedBytes, Is.GreaterThanOrEqualTo(1 << 20));
    }
}
