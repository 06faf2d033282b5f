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
        var log = default(SlidingWindowLog);
        Assert.That(log.AddAndCheck(0, 10, 3), Is.False);
        Assert.That(log.AddAndCheck(5, 10, 3), Is.False);
        Assert.That(log.AddAndCheck(10, 10, 3), Is.False, "events at 0, 5, 10 span 10: not within a window of 10");
        Assert.That(log.AddAndCheck(14, 10, 3), Is.True, "5, 10, 14");
        Assert.That(log.Remembered, Is.EqualTo(3));
        log.Reset();
        Assert.That(log.AddAndCheck(15, 10, 3), Is.False);
        Assert.That(log.AddAndCheck(16, 10, 3), Is.False);
        Assert.That(log.AddAndCheck(17, 10, 3), Is.True);
    }

    [Test]
    public void Alert_gate_raises_once_per_window_and_reports_what_it_suppressed()
    {
        var gate = default(AlertGate);
        Assert.That(gate.TryRaise(100, 50, out int count), Is.True);
        Assert.That(count, Is.EqualTo(1));
        for (int t = 101; t < 150; t++)
        {
            Assert.That(gate.TryRaise(t, 50, out _), Is.False);
        }

        Assert.That(gate.Pending, Is.EqualTo(49));
        Assert.That(gate.TryRaise(150, 50, out count), Is.True);
        Assert.That(count, Is.EqualTo(50));
        Assert.That(gate.Pending, Is.Zero);
    }
}
