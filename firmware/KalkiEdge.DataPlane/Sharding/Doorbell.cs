namespace KalkiEdge.DataPlane.Sharding;

/// <summary>
/// How one thread waits for another's progress without burning a shared core: a short spin (the hand-off between
/// engine threads is usually a few microseconds), then parking until rung. Any thread may ring; one thread waits.
/// </summary>
public sealed class Doorbell : IDisposable
{
    // A missed ring costs at most this much; the condition is re-checked on every wake.
    private static readonly TimeSpan ParkLimit = TimeSpan.FromMilliseconds(20);

    private const int SpinRounds = 12;

    private readonly ManualResetEventSlim _event = new(false, spinCount: 0);
    private volatile int _parked;

    /// <summary>Wakes the waiter, if it is parked. Call after making its condition true.</summary>
    public void Ring()
    {
        // The condition's write must be visible before the parked flag is read (the waiter does the reverse).
        Interlocked.MemoryBarrier();
        if (_parked != 0)
        {
            _event.Set();
        }
    }

    /// <summary>Returns once <paramref name="ready"/> holds for <paramref name="state"/>.</summary>
    public void WaitUntil<TState>(TState state, Func<TState, bool> ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        var spin = new SpinWait();
        for (int i = 0; i < SpinRounds; i++)
        {
            if (ready(state))
            {
                return;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }

        while (!ready(state))
        {
            _event.Reset();
            _parked = 1;
            Interlocked.MemoryBarrier();
            if (!ready(state))
            {
                _event.Wait(ParkLimit);
            }

            _parked = 0;
        }
    }

    public void Dispose() => _event.Dispose();
}
