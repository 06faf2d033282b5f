using System.Diagnostics;
using KalkiEdge.Export.Events;

namespace KalkiEdge.UnitTests.Export;

/// <summary>The consumer's sleep that producers end only when it is announced (shared by the event queue workers and the fleet publisher).</summary>
public class IdleWakeTests
{
    [Test]
    public void A_last_look_that_finds_work_does_not_wait_and_leaves_the_thread_awake()
    {
        var wake = new IdleWake();
        var clock = Stopwatch.StartNew();
        Assert.That(wake.Sleep(TimeSpan.FromMinutes(10), () => false), Is.EqualTo(IdleWake.Slept.No));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(wake.Idle, Is.False);
    }

    [Test]
    public void A_busy_thread_is_not_signalled_by_producers_and_a_sleeping_one_is_woken_by_the_first()
    {
        var wake = new IdleWake();
        wake.WakeIfIdle();
        Assert.That(wake.Pause(TimeSpan.FromMilliseconds(50)), Is.False, "nothing was signalled while the thread was not idle");

        var sleeper = Task.Run(() => wake.Sleep(TimeSpan.FromMinutes(10), () => true));
        var clock = Stopwatch.StartNew();
        while (!wake.Idle)
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "the sleeper announced its sleep");
            Thread.Sleep(1);
        }

        wake.WakeIfIdle();
        wake.WakeIfIdle(); // the flag is down once the first took it: no second signal is left over
        Assert.That(sleeper.Wait(TimeSpan.FromSeconds(10)), Is.True, "woken, not left to its ten minutes");
        Assert.That(sleeper.Result, Is.EqualTo(IdleWake.Slept.Woken));
        Assert.That(wake.Pause(TimeSpan.FromMilliseconds(50)), Is.False, "no signal left to cut the next wait short");
    }

    [Test]
    public void A_wake_before_the_wait_is_not_lost_and_several_count_as_one()
    {
        var wake = new IdleWake();
        wake.Wake();
        wake.Wake();
        var clock = Stopwatch.StartNew();
        Assert.That(wake.Sleep(TimeSpan.FromMinutes(10), () => true), Is.EqualTo(IdleWake.Slept.Woken));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(wake.Sleep(TimeSpan.FromMilliseconds(50), () => true), Is.EqualTo(IdleWake.Slept.TimedOut));
    }
}
