namespace KalkiEdge.DataPlane.Sharding;

/// <summary>
/// How one thread waits for another's progress without burning a shared core: a short spin (the hand-off between
/// engine threads is usually a few microseconds), then parking until rung. Any thread may ring; one thread waits.
/// A waiter may say how far the ringer's progress must go before waking it is worth a system call
/// (<see cref="WaitUntil{TState}(TState, Func{TState, bool}, long)"/>, <see cref="Ring(long)"/>).
/// </summary>
public sealed class Doorbell : IDisposable
{
    // A missed ring costs at most this much; the condition is re-checked on every wake.
    private static readonly TimeSpan ParkLimit = TimeSpan.FromMilliseconds(20);

    private const int SpinRounds = 12;

    private readonly ManualResetEventSlim _event = new(false, spinCount: 0);
    private volatile int _parked;
    private long _wakeAt = long.MinValue;
    private long _wakes;

    /// <summary>How many rings found the waiter parked and woke it (each a system call on the ringing thread).</summary>
    public long Wakes => Volatile.Read(ref _wakes);

    /// <summary>The waiter is parked (not spinning, not running).</summary>
    internal bool IsParked => _parked != 0;

    /// <summary>Wakes the waiter, if it is parked. Call after making its condition true.</summary>
    public void Ring() => Ring(long.MaxValue);

    /// <summary>
    /// Wakes the waiter if it is parked and <paramref name="progress"/> has reached the mark it parked for (waking it
    /// earlier would cost a system call and find its condition still false). Call after making the progress visible.
    /// </summary>
    public void Ring(long progress)
    {
        // The condition's write must be visible before the parked flag is read (the waiter does the reverse).
        Interlocked.MemoryBarrier();
        // The first ring that wakes the waiter unparks it: later ones, until it parks again, need not call Set (the
        // woken thread may wait a while for a core, and the ringer goes on ringing).
        if (_parked != 0 && progress >= Volatile.Read(ref _wakeAt) && Interlocked.Exchange(ref _parked, 0) != 0)
        {
            Interlocked.Increment(ref _wakes);
            _event.Set();
        }
    }

    /// <summary>Returns once <paramref name="ready"/> holds for <paramref name="state"/>.</summary>
    public void WaitUntil<TState>(TState state, Func<TState, bool> ready) => WaitUntil(state, ready, long.MinValue);

    /// <summary>
    /// Returns once <paramref name="ready"/> holds for <paramref name="state"/>; while parked, only rings with progress
    /// of at least <paramref name="wakeAt"/> wake it (the ringer must ring with no progress, <see cref="Ring()"/>, when
    /// <paramref name="ready"/> may hold before that mark). A missed wake-up is still re-checked within 20 ms.
    /// </summary>
    public void WaitUntil<TState>(TState state, Func<TState, bool> ready, long wakeAt)
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

        Volatile.Write(ref _wakeAt, wakeAt); // before the parked flag: a ringer that sees the flag sees the mark
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
