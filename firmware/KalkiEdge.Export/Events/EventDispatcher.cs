namespace KalkiEdge.Export.Events;

/// <summary>
/// The event hub's own thread: events are queued (bounded, in order) and handed to the sinks there, so the control
/// thread, which runs at the capture threads' real-time priority, pays an enqueue per event and never the sinks'
/// formatting, logging or first-call compilation (measured on the live testbed: 0.1-22 ms per event on the control
/// thread after a reaction, during which it held a CPU that the rest of the machine was waiting for). A single
/// consumer keeps every sink's events in the order they were posted. A full queue refuses the event and counts it
/// (<see cref="Dropped"/>): never a silent loss, never a blocked control thread. The thread runs at the process's
/// normal priority: below the capture threads and the control loop.
/// </summary>
internal sealed class EventDispatcher
{
    /// <summary>Events handed to the sinks per turn before the queue's count is updated.</summary>
    private const int Batch = 64;

    private readonly BoundedEventQueue _queue;
    private readonly Action<ApplianceEvent> _deliver;
    private readonly object _gate = new(); // the sleeping thread waits on it (Monitor.Wait: a Lock has no wait, a semaphore needs disposing)
    private readonly Thread _thread;
    private readonly List<ApplianceEvent> _batch = new(Batch);
    private int _idle;
    private long _dropped;
    private volatile bool _stopping;

    public EventDispatcher(int capacity, Action<ApplianceEvent> deliver)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _queue = new BoundedEventQueue(capacity);
        _deliver = deliver;
        _thread = new Thread(Run) { IsBackground = true, Name = "event-hub" };
        _thread.Start();
    }

    /// <summary>Events waiting for the sinks now.</summary>
    public int Depth => _queue.Count;

    /// <summary>What became of a posted event.</summary>
    public enum Posted
    {
        Queued,

        /// <summary>The queue was full: dropped and counted in <see cref="Dropped"/>.</summary>
        Full,

        /// <summary><see cref="Stop"/> was called: not taken and not counted; the caller delivers it itself.</summary>
        Stopped,
    }

    /// <summary>Events refused because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues <paramref name="e"/> for the sinks.</summary>
    public Posted Post(ApplianceEvent e)
    {
        if (_stopping)
        {
            return Posted.Stopped;
        }

        if (!_queue.TryAdd(e))
        {
            Interlocked.Increment(ref _dropped);
            return Posted.Full;
        }

        // Only a thread asleep for lack of events is woken: while it is busy, posting costs no system call.
        if (Volatile.Read(ref _idle) == 1 && Interlocked.Exchange(ref _idle, 0) == 1)
        {
            Wake();
        }

        return Posted.Queued;
    }

    /// <summary>
    /// Refuses further events, waits up to <paramref name="limit"/> for the queued ones to reach the sinks, and
    /// returns how many did not (0 when all did: a sink still busy past the limit keeps the rest). A second call only waits again.
    /// </summary>
    public int Stop(TimeSpan limit)
    {
        _stopping = true;
        Wake();
        if (!_thread.Join(limit))
        {
            return _queue.Count;
        }

        // The thread has ended: an event whose Post raced with the stop is delivered here, still after all the others.
        while (DeliverBatch())
        {
        }

        return 0;
    }

    private void Run()
    {
        while (true)
        {
            if (DeliverBatch())
            {
                continue;
            }

            if (_stopping)
            {
                return; // stopped and drained: Post refuses from the moment _stopping is set
            }

            // Announce the sleep before the last look, under the gate: a poster that finds _idle set pulses the
            // gate, which it can take only once this thread waits on it, so no wake-up is lost.
            lock (_gate)
            {
                Interlocked.Exchange(ref _idle, 1);
                if (_queue.IsEmpty && !_stopping)
                {
                    Monitor.Wait(_gate, TimeSpan.FromSeconds(1));
                }
            }

            Interlocked.Exchange(ref _idle, 0);
        }
    }

    /// <summary>Hands up to <see cref="Batch"/> queued events to the sinks, in order; false when none was queued.</summary>
    private bool DeliverBatch()
    {
        if (_queue.TakeInto(_batch, Batch) == 0)
        {
            return false;
        }

        foreach (var e in _batch)
        {
            _deliver(e);
        }

        _batch.Clear();
        return true;
    }

    private void Wake()
    {
        lock (_gate)
        {
            Monitor.Pulse(_gate);
        }
    }
}
