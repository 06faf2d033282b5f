using System.Diagnostics;

namespace KalkiEdge.Export.Events;

/// <summary>
/// How a consumer thread sleeps for lack of work and how producers wake it: a producer signals only a thread that
/// has announced its sleep, so while the thread is busy a post costs no system call (a semaphore release per event
/// is what a storm would otherwise cost the control loop). One consumer thread calls <see cref="Sleep"/> and
/// <see cref="Pause"/>; any thread may wake it.
/// </summary>
internal sealed class IdleWake
{
    private readonly object _gate = new(); // Monitor.Wait: a Lock has no wait, a semaphore needs disposing
    private bool _signalled; // under the gate: a wake-up no wait has taken yet (several count as one)
    private int _idle;

    /// <summary>How a <see cref="Sleep"/> ended.</summary>
    public enum Slept
    {
        /// <summary>The last look found work: the thread did not wait.</summary>
        No,

        /// <summary>A producer or <see cref="Wake"/> ended the wait.</summary>
        Woken,

        /// <summary>The longest wait passed.</summary>
        TimedOut,
    }

    /// <summary>The thread has found nothing to do and sleeps, or is about to, until it is woken.</summary>
    public bool Idle => Volatile.Read(ref _idle) == 1;

    /// <summary>
    /// After queueing work: wakes the thread only if it sleeps for lack of it. The caller's enqueue is a full fence
    /// (a <see cref="System.Collections.Concurrent.ConcurrentQueue{T}"/> moves its tail with an interlocked exchange),
    /// as is the sleeper's announcement before its last look: the work is either seen there or this signals.
    /// </summary>
    public void WakeIfIdle()
    {
        if (Volatile.Read(ref _idle) == 1 && Interlocked.Exchange(ref _idle, 0) == 1)
        {
            Wake();
        }
    }

    /// <summary>Ends the thread's sleep or pause, or the next one if it is not waiting (to stop it, or for a request of its own).</summary>
    public void Wake()
    {
        lock (_gate)
        {
            _signalled = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>
    /// Announces the sleep, then takes a last look (<paramref name="nothingToDo"/>) and, still with nothing to do,
    /// waits until woken or <paramref name="longest"/> has passed.
    /// </summary>
    public Slept Sleep(TimeSpan longest, Func<bool> nothingToDo)
    {
        Interlocked.Exchange(ref _idle, 1);
        var slept = Slept.No;
        if (nothingToDo())
        {
            slept = Wait(longest) ? Slept.Woken : Slept.TimedOut;
        }

        if (Interlocked.Exchange(ref _idle, 0) == 0)
        {
            _ = Wait(TimeSpan.Zero); // a producer took the flag and signals, or has: no signal is left over to cut a later sleep short
        }

        return slept;
    }

    /// <summary>
    /// Waits <paramref name="time"/> without announcing a sleep, so producers do not signal meanwhile and work
    /// gathers; only <see cref="Wake"/> ends it early (true).
    /// </summary>
    public bool Pause(TimeSpan time) => Wait(time);

    /// <summary>Waits up to <paramref name="time"/> for a wake-up and takes it; false when none came.</summary>
    private bool Wait(TimeSpan time)
    {
        var started = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            for (var left = time; !_signalled && left > TimeSpan.Zero; left = time - Stopwatch.GetElapsedTime(started))
            {
                Monitor.Wait(_gate, left);
            }

            var woken = _signalled;
            _signalled = false;
            return woken;
        }
    }
}
