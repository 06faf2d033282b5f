using KalkiEdge.DataPlane.Sharding;

namespace KalkiEdge.UnitTests.DataPlane;

/// <summary>A parked waiter is woken by a ring that reaches the mark it parked for, and not by rings before it.</summary>
public sealed class DoorbellTests
{
    [Test]
    public void A_parked_waiter_is_woken_only_by_progress_that_reaches_its_mark()
    {
        using var bell = new Doorbell();
        long progress = 0;
        var waiter = StartWaiter(bell, () => Volatile.Read(ref progress) >= 100, wakeAt: 100);
        try
        {
            Assert.That(bell.IsParked, Is.True, "the waiter parks while its condition is false");

            for (long p = 1; p < 100; p++)
            {
                Volatile.Write(ref progress, p);
                bell.Ring(p);
            }

            Assert.That(bell.Wakes, Is.Zero, "rings short of the mark do not wake it");
            Volatile.Write(ref progress, 100);
            bell.Ring(100);
            Assert.That(waiter.Join(TimeSpan.FromSeconds(10)), Is.True, "the ring at the mark wakes it");
            Assert.That(bell.Wakes, Is.InRange(1, 2), "woken at the mark (once more only if it parked again meanwhile)");
        }
        finally
        {
            Release(bell, waiter, () => Volatile.Write(ref progress, 100));
        }
    }

    [Test]
    public void A_ring_without_progress_wakes_any_waiter()
    {
        using var bell = new Doorbell();
        var done = 0;
        var waiter = StartWaiter(bell, () => Volatile.Read(ref done) != 0, wakeAt: long.MaxValue - 1);
        try
        {
            Volatile.Write(ref done, 1);
            bell.Ring();
            Assert.That(waiter.Join(TimeSpan.FromSeconds(10)), Is.True);
        }
        finally
        {
            Release(bell, waiter, () => Volatile.Write(ref done, 1));
        }
    }

    /// <summary>A thread waiting on <paramref name="bell"/> for <paramref name="ready"/>, returned once it has parked (or after 10 s).</summary>
    private static Thread StartWaiter(Doorbell bell, Func<bool> ready, long wakeAt)
    {
        var waiter = new Thread(() => bell.WaitUntil(ready, static r => r(), wakeAt)) { IsBackground = true };
        waiter.Start();
        SpinWait.SpinUntil(() => bell.IsParked, TimeSpan.FromSeconds(10));
        return waiter;
    }

    /// <summary>
    /// Whatever the assertions found, the waiter leaves before the bell is disposed: one left parked on a disposed bell
    /// would crash the test host and lose every other test's result.
    /// </summary>
    private static void Release(Doorbell bell, Thread waiter, Action makeReady)
    {
        makeReady();
        bell.Ring();
        waiter.Join(TimeSpan.FromSeconds(10));
    }
}
