using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.UnitTests.Umboxes.Common;

public class TimeWindowsTests
{
    [Test]
    public void Fixed_window_opens_at_the_first_event_and_lasts_exactly_its_length()
    {
        var c = default(FixedWindowCounter);
        Assert.That(c.Add(1000, 100), Is.EqualTo(1));
        Assert.That(c.Add(1099, 100), Is.EqualTo(2));
        Assert.That(c.Peek(1099, 100), Is.EqualTo(2));
        Assert.That(c.Peek(1100, 100), Is.Zero);
        Assert.That(c.Add(1100, 100, 5), Is.EqualTo(5));
        Assert.That(c.WindowStart, Is.EqualTo(1100));
        Assert.That(c.Add(900, 100), Is.EqualTo(1), "a clock stepping back opens a fresh window");
    }

    [Test]
    public void Fixed_window_works_from_time_zero()
    {
        var c = default(FixedWindowCounter);
        Assert.That(c.Add(0, 10), Is.EqualTo(1));
        Assert.That(c.Add(9, 10), Is.EqualTo(2));
        Assert.That(c.Add(10, 10), Is.EqualTo(1));
    }

    [Test]
    public void Sliding_log_detects_threshold_events_within_the_window_exactly()
    {
        Span<long> ring = stackalloc long[SlidingWindowLog.Longs(3)];
        Assert.That(SlidingWindowLog.AddAndCheck(ring, 0, 10), Is.False);
        Assert.That(SlidingWindowLog.AddAndCheck(ring, 5, 10), Is.False);
        Assert.That(SlidingWindowLog.AddAndCheck(ring, 10, 10), Is.False, "events at 0, 5, 10 span 10: not within a window of 10");
        Assert.That(SlidingWindowLog.AddAndCheck(ring, 14, 10), Is.True, "5, 10, 14");
        Assert.That(SlidingWindowLog.Remembered(ring), Is.EqualTo(3));
        Assert.That(SlidingWindowLog.FullWithin(ring, 14, 10), Is.True);
        Assert.That(SlidingWindowLog.FullWithin(ring, 15, 10), Is.False, "the oldest of 5, 10, 14 left the window");
        SlidingWindowLog.Reset(ring);
        Assert.That(SlidingWindowLog.AddAndCheck(ring, 15, 10), Is.False);
        Assert.That(SlidingWindowLog.AddAndCheck(ring, 16, 10), Is.False);
        Assert.That(SlidingWindowLog.AddAndCheck(ring, 17, 10), Is.True);
    }

    [Test]
    public void Alert_aggregator_counts_occurrences_per_window_and_forgets_ended_bursts()
    {
        var alerts = default(AlertAggregator);
        Assert.That(alerts.Occurred(1_000, 100), Is.EqualTo(1));
        Assert.That(alerts.Occurred(1_050, 100), Is.Zero);
        Assert.That(alerts.Occurred(1_099, 100), Is.Zero);
        Assert.That(alerts.Pending, Is.EqualTo(2));
        Assert.That(alerts.Occurred(1_100, 100), Is.EqualTo(3), "two suppressed plus itself");
        Assert.That(alerts.Pending, Is.Zero);
        Assert.That(alerts.Occurred(1_150, 100), Is.Zero);
        Assert.That(alerts.Occurred(5_000, 100), Is.EqualTo(1), "the pending one belonged to a burst that ended");
        Assert.That(alerts.Occurred(4_000, 100), Is.EqualTo(1), "a clock stepping back opens a new window");
    }

    [Test]
    public void Alert_aggregator_carries_a_burst_that_goes_on_into_the_next_alert()
    {
        var alerts = default(AlertAggregator);
        Assert.That(alerts.Occurred(100, 50), Is.EqualTo(1));
        for (int t = 101; t < 150; t++)
        {
            Assert.That(alerts.Occurred(t, 50), Is.Zero);
        }

        Assert.That(alerts.Occurred(150, 50), Is.EqualTo(50));
    }
}
