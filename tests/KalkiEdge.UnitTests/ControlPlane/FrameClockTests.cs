using KalkiEdge.ControlPlane;

namespace KalkiEdge.UnitTests.ControlPlane;

/// <summary>Frame time: the capture time plus the compute time since the frame began, or since its first reading when untimed.</summary>
public sealed class FrameClockTests
{
    [Test]
    public void A_timed_frame_counts_its_compute_time_from_the_frame_on()
    {
        var clock = new FrameClock();
        clock.OnFrame(1_000_000);
        Thread.Sleep(50);
        Assert.That(clock.NowMicros - 1_000_000, Is.GreaterThanOrEqualTo(50_000));
    }

    [Test]
    public void The_frame_time_is_the_capture_time_the_frame_was_given_timed_or_not()
    {
        var clock = new FrameClock();
        clock.OnFrame(1_000_000);
        Assert.That(clock.FrameMicros, Is.EqualTo(1_000_000));
        clock.OnFrameUntimed(2_000_000);
        Assert.That(clock.FrameMicros, Is.EqualTo(2_000_000));
    }

    [Test]
    public void An_untimed_frame_counts_its_compute_time_from_the_first_reading_on()
    {
        var clock = new FrameClock();
        clock.OnFrameUntimed(1_000_000);
        Thread.Sleep(50);
        var first = clock.NowMicros;
        Assert.That(first - 1_000_000, Is.InRange(0, 25_000), "the time before the first reading is not the frame's");
        Thread.Sleep(50);
        Assert.That(clock.NowMicros - first, Is.GreaterThanOrEqualTo(50_000), "from the first reading on, it is");
        clock.OnFrame(2_000_000);
        Thread.Sleep(50);
        Assert.That(clock.NowMicros - 2_000_000, Is.GreaterThanOrEqualTo(50_000), "the next timed frame from its start");
    }
}
