using KalkiEdge.Core.Policy;

namespace KalkiEdge.UnitTests.Policy;

public class AlertHistoryTests
{
    [Test]
    public void Grows_on_demand_and_keeps_the_newest_entries_in_order()
    {
        var history = new AlertHistory(capacity: 8);
        Span<long> counts = stackalloc long[3];
        for (int i = 1; i <= 20; i++)
        {
            history.Record(type: i % 3, timeMicros: i * 1_000, count: 1);
        }

        Assert.That(history.Count, Is.EqualTo(8));
        Assert.That(history.Evicted, Is.EqualTo(12));

        // The ring holds alerts 13..20 (times 13 ms..20 ms): types 1,2,0,1,2,0,1,2.
        history.CountInto(counts, nowMicros: 20_000, windowMicros: 1_000_000, afterSequence: 0);
        Assert.That(counts.ToArray(), Is.EqualTo(new long[] { 2, 3, 3 }));

        // A window of 3 ms counts alerts 18, 19 and 20 only.
        history.CountInto(counts, nowMicros: 20_000, windowMicros: 3_000, afterSequence: 0);
        Assert.That(counts.ToArray(), Is.EqualTo(new long[] { 1, 1, 1 }));

        // Alerts a rule already acted on (sequence <= 19) do not count again.
        history.CountInto(counts, nowMicros: 20_000, windowMicros: 1_000_000, afterSequence: 19);
        Assert.That(counts.ToArray(), Is.EqualTo(new long[] { 0, 0, 1 }));
    }

    [Test]
    public void Growing_a_partly_filled_ring_keeps_every_entry()
    {
        var history = new AlertHistory(capacity: 256);
        Span<long> counts = stackalloc long[1];
        for (int i = 1; i <= 100; i++)
        {
            history.Record(0, i, 2);
        }

        history.CountInto(counts, nowMicros: 100, windowMicros: 1_000, afterSequence: 0);
        Assert.That(counts[0], Is.EqualTo(200));
        Assert.That(history.Evicted, Is.Zero);
    }

    [Test]
    public void A_history_holds_no_ring_until_its_first_alert_and_stays_bounded_after()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var history = new AlertHistory(capacity: 2);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(100), "10,000 quiet devices pay for no ring");
        Span<long> counts = stackalloc long[1];
        counts[0] = 7;
        history.CountInto(counts, nowMicros: 10, windowMicros: 100, afterSequence: 0);
        Assert.That(counts[0], Is.Zero);

        for (int i = 1; i <= 5; i++)
        {
            history.Record(0, i, 1);
        }

        Assert.That((history.Count, history.Evicted, history.Sequence), Is.EqualTo((2, 3L, 5L)));
        history.CountInto(counts, nowMicros: 5, windowMicros: 100, afterSequence: 0);
        Assert.That(counts[0], Is.EqualTo(2));
    }
}
