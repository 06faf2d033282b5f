namespace KalkiEdge.Bench.Tests;

public sealed class WakeUpRoundTripTests
{
    [Test]
    public void Every_round_trip_is_answered_and_timed()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("eventfd and sched_setaffinity are Linux's");
        }

        var reading = WakeUpRoundTrip.Measure(0, 0, 20);

        Assert.That(reading.Problem, Is.Empty);
        Assert.That(reading.Completed, Is.EqualTo(20));
        Assert.That(reading.P50Micros, Is.GreaterThan(0).And.LessThanOrEqualTo(reading.P99Micros));
    }

    [Test]
    public void A_cpu_the_thread_cannot_be_pinned_to_gives_no_reading_and_says_why()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("sched_setaffinity is Linux's");
        }

        var reading = WakeUpRoundTrip.Measure(0, 63, 5);

        Assert.That(reading.P50Micros, Is.NaN);
        Assert.That(reading.Problem, Does.Contain("cannot pin a thread to CPU 63"));
    }
}
