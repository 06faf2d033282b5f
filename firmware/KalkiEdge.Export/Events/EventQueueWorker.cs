namespace KalkiEdge.Export.Events;

/// <summary>
/// A bounded event queue with one thread of its own that consumes it: posting never blocks and never grows the
/// queue past its capacity (a full queue refuses the event and counts it in the owner's counter), and wakes the
/// thread only when it sleeps for lack of events (<see cref="IdleWake"/>), so a storm costs the producer no system
/// call. The consumer (the work given to the constructor) takes from the queue as it needs, in order, and says what
/// to do next (<see cref="Turn"/>); a single consumer keeps the events in the order they were posted. <see cref="Stop"/>
/// refuses further events and waits, bounded, for the thread to consume what is queued.
/// </summary>
internal sealed class EventQueueWorker
{
    /// <summary>The longest the thread sleeps with nothing queued when the constructor is not told otherwise.</summary>
    public static readonly TimeSpan DefaultIdleWait = TimeSpan.FromSeconds(1);

    private readonly BoundedEventQueue _queue;
    private readonly Func<BoundedEventQueue, Turn> _work;
    private readonly IdleWake _wake = new();
    private readonly Func<bool> _nothingToDo;
    private readonly TimeSpan _gather;
    private readonly TimeSpan _idleWait;
    private readonly Thread _thread;
    private volatile bool _stopping;

    /// <param name="name">The thread's name.</param>
    /// <param name="capacity">Events waiting at most.</param>
    /// <param name="work">One turn of the consumer, on the worker's thread (and, after the thread ended, on <see cref="Stop"/>'s caller).</param>
    /// <param name="gather">How long the thread waits after a <see cref="Turn.Gather"/>.</param>
    /// <param name="idleWait">The longest sleep with nothing queued (a missed wake-up costs at most this); 1 s by default.</param>
    public EventQueueWorker(string name, int capacity, Func<BoundedEventQueue, Turn> work, TimeSpan gather = default, TimeSpan? idleWait = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _queue = new BoundedEventQueue(capacity);
        _work = work;
        _gather = gather;
        _idleWait = idleWait ?? DefaultIdleWait;
        _nothingToDo = NothingToDo;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>What a turn of the consumer found, and so what the thread does next.</summary>
    public enum Turn
    {
        /// <summary>Nothing more is queued: sleep until an event is posted.</summary>
        Idle,

        /// <summary>More may be queued: the next turn at once.</summary>
        Again,

        /// <summary>Work was done: wait the gather time before the next turn, so that what comes meanwhile is one batch.</summary>
        Gather,

        /// <summary>Give up (a stop's own deadline passed): the thread ends, and what is queued stays there.</summary>
        Finished,
    }

    /// <summary>What became of a posted event.</summary>
    public enum Posted
    {
        Queued,

        /// <summary>The queue was full: dropped and counted.</summary>
        Full,

        /// <summary><see cref="Stop"/> was called: not taken and not counted here.</summary>
        Stopped,
    }

    /// <summary>Events waiting now.</summary>
    public int Depth => _queue.Count;

    /// <summary><see cref="Stop"/> has been called.</summary>
    public bool Stopping => _stopping;

    /// <summary>The thread has found nothing queued and sleeps, or is about to, until an event wakes it.</summary>
    public bool Asleep => _wake.Idle;

    /// <summary>The thread has not ended yet.</summary>
    public bool Running => _thread.IsAlive;

    /// <summary>
    /// Queues <paramref name="e"/> for the thread, without blocking and without allocating; refused by a full queue,
    /// it is counted in <paramref name="dropped"/>.
    /// </summary>
    public Posted Post(ApplianceEvent e, ref long dropped)
    {
        if (_stopping)
        {
            return Posted.Stopped;
        }

        if (!_queue.TryAdd(e))
        {
            Interlocked.Increment(ref dropped);
            return Posted.Full;
        }

        _wake.WakeIfIdle();
        return Posted.Queued;
    }

    /// <summary>Queues <paramref name="e"/> as <see cref="Post"/> does, and counts it in <paramref name="dropped"/> after the stop too (a sink that has nowhere else to send it).</summary>
    public void PostOrDrop(ApplianceEvent e, ref long dropped)
    {
        if (Post(e, ref dropped) is Posted.Stopped)
        {
            Interlocked.Increment(ref dropped);
        }
    }

    /// <summary>
    /// Ends the thread's sleep or gathering now (for a request of the consumer's own, such as reopening its file);
    /// the next turn sees the request.
    /// </summary>
    public void Wake() => _wake.Wake();

    /// <summary>
    /// Refuses further events, waits up to <paramref name="limit"/> for the thread to consume what is queued, and
    /// returns how many events it left (0 when all were consumed; a consumer still busy past the limit keeps the
    /// rest and the thread goes on). A second call only waits again.
    /// </summary>
    public int Stop(TimeSpan limit)
    {
        _stopping = true;
        _wake.Wake();
        if (!_thread.Join(limit))
        {
            return _queue.Count;
        }

        // The thread has ended: an event whose Post raced with the stop is consumed here, still after all the others.
        while (!_queue.IsEmpty && _work(_queue) is not (Turn.Idle or Turn.Finished))
        {
        }

        return _queue.Count;
    }

    private bool NothingToDo() => _queue.IsEmpty && !_stopping;

    private void Run()
    {
        while (true)
        {
            switch (_work(_queue))
            {
                case Turn.Again:
                    continue;
                case Turn.Gather:
                    if (!_stopping)
                    {
                        _wake.Pause(_gather); // producers do not signal meanwhile: a storm costs them no wake-ups
                    }

                    continue;
                case Turn.Finished:
                    return;
            }

            if (_stopping && _queue.IsEmpty)
            {
                return; // stopped and drained: Post refuses from the moment _stopping is set
            }

            _wake.Sleep(_idleWait, _nothingToDo);
        }
    }
}
