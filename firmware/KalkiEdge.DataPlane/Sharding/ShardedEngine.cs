using System.Runtime.ExceptionServices;

namespace KalkiEdge.DataPlane.Sharding;

/// <summary>
/// The engine on several threads for a frame source (a capture): the calling thread reads frames and hands each to the
/// engine thread that owns its device (<see cref="ShardAssignment"/> of <see cref="PacketEngine.OwnerKey"/>) through
/// that thread's <see cref="FrameRing"/>, then merges the results back in read order. A device's frames therefore run
/// in order on one thread, and its chain's state is touched by that thread only.
/// The outcome is the single thread's, frame for frame: whatever depends on other devices' frames (alerts, logs,
/// address learning, unknown MACs) waits for the frame's turn (<see cref="IFrameTurn"/>), an engine thread whose frame
/// took its turn waits until that frame is merged (the control plane may swap its device's chain there), and a frame
/// that may alert about a device it is not attributed to (<see cref="PacketEngine.MayConcernAnotherDevice(Frame)"/>) runs alone.
/// Each frame crosses cores twice (into its engine thread's cache, and its slot back to the merger's), which costs more
/// than a short chain processes it in: a source every thread can walk itself (a capture file) goes through
/// <see cref="WalkingShardedEngine"/> instead; this hand-off is for sources read once (a live capture).
/// </summary>
public sealed class ShardedEngine : IDisposable
{
    /// <summary>
    /// Frames in flight per engine thread: enough to ride out a scheduling hiccup (a full ring only makes the reader
    /// wait), and each slot holds a 2 KB frame for the process's life, so 512 slots cost 1 MB a thread where 1,024 cost 2.
    /// </summary>
    public const int DefaultRingCapacity = 512;

    /// <summary>
    /// Frames handed over per wake-up: a parked thread is woken once this many frames wait for it (or when the thread
    /// that feeds it has nothing more for now), not for every frame. Waking a parked thread costs a system call and a
    /// context switch, more than a frame's whole chain, and on two cores the reader and the engine threads share them.
    /// </summary>
    public const int HandOffBatch = 32;

    private readonly PacketEngine _engine;
    private readonly Func<ElementContext> _createContext;
    private readonly FrameRing[] _rings;
    private readonly Doorbell[] _shardBells;
    private readonly Doorbell _mergerBell = new();
    private readonly Turn[] _turns;
    private readonly int[] _order;
    private long _read;
    private long _merged;
    private volatile bool _stopping;
    private volatile ExceptionDispatchInfo? _failure;

    public ShardedEngine(PacketEngine engine, int threads, Func<ElementContext> createContext, int ringCapacity = DefaultRingCapacity)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _engine = engine;
        _createContext = createContext;
        _rings = [.. Enumerable.Range(0, threads).Select(_ => new FrameRing(ringCapacity))];
        _shardBells = [.. Enumerable.Range(0, threads).Select(_ => new Doorbell())];
        _turns = [.. _shardBells.Select(bell => new Turn(this, bell))];
        _order = new int[threads * ringCapacity];
    }

    public int Threads => _rings.Length;

    /// <summary>How many frames have been merged so far (every frame before that index is done).</summary>
    public long Merged => Volatile.Read(ref _merged);

    /// <summary>
    /// Reads frames with <paramref name="read"/> (false: the source ended; the frame's direction must be set) until the
    /// source ends or <paramref name="cancel"/> is set, and calls <paramref name="merge"/> on this thread for every frame,
    /// in read order, once its engine thread is done with it. Frames in flight when cancelled are still merged.
    /// An exception on an engine thread or in <paramref name="merge"/> ends the run and is rethrown here.
    /// </summary>
    public void Run(Func<Frame, bool> read, Action<FrameSlot> merge, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(merge);
        var threads = new Thread[_rings.Length];
        for (int i = 0; i < threads.Length; i++)
        {
            var shard = i;
            threads[i] = new Thread(() => Serve(shard)) { IsBackground = true, Name = $"engine-{shard}" };
            threads[i].Start();
        }

        try
        {
            Coordinate(read, merge, cancel);
        }
        finally
        {
            _stopping = true;
            foreach (var bell in _shardBells)
            {
                bell.Ring();
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }
        }

        _failure?.Throw();
    }

    private void Coordinate(Func<Frame, bool> read, Action<FrameSlot> merge, CancellationToken cancel)
    {
        var staged = new Frame();
        var unrung = new bool[_rings.Length];
        bool hasStaged = false, ended = false, alone = false;
        int shard = 0;
        long barrier = -1;
        while (true)
        {
            bool progressed = false;
            while (!ended && _merged > barrier)
            {
                if (!hasStaged)
                {
                    if (cancel.IsCancellationRequested || !read(staged))
                    {
                        ended = true;
                        break;
                    }

                    alone = PacketEngine.MayConcernAnotherDevice(staged);
                    shard = ShardAssignment.Of(_engine.OwnerKey(staged), _rings.Length);
                    hasStaged = true;
                }

                var ring = _rings[shard];
                if ((alone && _merged < _read) || !ring.HasRoom)
                {
                    break; // backpressure: merge first
                }

                ring.Publish(ref staged, _read);
                _order[(int)(_read % _order.Length)] = shard;
                barrier = alone ? _read : barrier;
                _read++;
                hasStaged = false;
                progressed = true;
                unrung[shard] = true;
                if (ring.Waiting == HandOffBatch)
                {
                    RingShard(shard, unrung);
                }
            }

            // Whatever was published and not yet announced is announced before this thread merges or waits.
            for (int i = 0; i < unrung.Length; i++)
            {
                if (unrung[i])
                {
                    RingShard(i, unrung);
                }
            }

            bool mergedAny = false;
            while (_merged < _read && NextToMerge.HeadProcessed)
            {
                var ring = NextToMerge;
                merge(ring.Head);
                ring.Release();
                Volatile.Write(ref _merged, _merged + 1);
                mergedAny = true;
            }

            if (mergedAny)
            {
                // Engine threads waiting on a turn (or on a merge after one) look again; those waiting for frames
                // are left parked, since a merge gives them none. The barrier pairs with the one in Turn.Await: either
                // the waiter sees the new merge count or this thread sees it waiting.
                progressed = true;
                Interlocked.MemoryBarrier();
                for (int i = 0; i < _turns.Length; i++)
                {
                    if (_turns[i].Waiting)
                    {
                        _shardBells[i].Ring();
                    }
                }
            }

            if (_failure is not null || (ended && _merged == _read))
            {
                return;
            }

            if (!progressed)
            {
                _mergerBell.WaitUntil(this, static s => s._failure is not null || s.NextToMerge.HeadProcessed);
            }
        }
    }

    public void Dispose()
    {
        _mergerBell.Dispose();
        foreach (var bell in _shardBells)
        {
            bell.Dispose();
        }
    }

    private FrameRing NextToMerge => _rings[_order[(int)(_merged % _order.Length)]];

    private void RingShard(int shard, bool[] unrung)
    {
        unrung[shard] = false;
        _shardBells[shard].Ring();
    }

    /// <summary>One engine thread: processes its ring's frames in order with its own context.</summary>
    private void Serve(int shard)
    {
        var ring = _rings[shard];
        var bell = _shardBells[shard];
        var turn = _turns[shard];
        int unannounced = 0;
        try
        {
            var context = _createContext();
            context.Turn = turn;
            while (true)
            {
                bell.WaitUntil((Ring: ring, Owner: this), static s => s.Ring.HasWork || s.Owner._stopping);
                if (_stopping)
                {
                    return;
                }

                var slot = ring.NextToProcess;
                turn.Begin(slot.Sequence);
                slot.Verdict = _engine.Process(slot.Frame, context);
                if (slot.Verdict == Verdict.Reply)
                {
                    slot.Reply.CopyFrom(context.Reply);
                }

                ring.MarkProcessed();

                // The merger hears of processed frames a batch at a time, and at once when this thread is about to
                // wait: for frames (none left) or on merges (Turn.Await rings it).
                if (++unannounced >= HandOffBatch || !ring.HasWork)
                {
                    unannounced = 0;
                    _mergerBell.Ring();
                }

                if (turn.Taken)
                {
                    // The control plane reacts to this frame when it is merged (possibly swapping this device's chain):
                    // the device's next frame must see what a single thread would have shown it.
                    turn.Await(static t => t.Merged);
                }
            }
        }
        catch (Exception e)
        {
            _failure = ExceptionDispatchInfo.Capture(e);
            _stopping = true;
            _mergerBell.Ring();
        }
    }

    /// <summary>An engine thread's current frame's turn: every earlier frame merged.</summary>
    private sealed class Turn(ShardedEngine owner, Doorbell bell) : IFrameTurn
    {
        private long _sequence;

        public bool Taken { get; private set; }

        /// <summary>The engine thread waits for merges (its turn, or its frame's merge): the merger rings it after merging.</summary>
        public bool Waiting => _waiting;

        private volatile bool _waiting;

        /// <summary>The frame itself is merged (or the run is stopping).</summary>
        public bool Merged => owner.Merged > _sequence || owner._stopping;

        /// <summary>Every frame before this one is merged (or the run is stopping).</summary>
        private bool EarlierMerged => owner.Merged >= _sequence || owner._stopping;

        public void Begin(long sequence)
        {
            _sequence = sequence;
            Taken = false;
        }

        public void Take()
        {
            if (Taken)
            {
                return;
            }

            Taken = true;
            Await(static t => t.EarlierMerged);
        }

        /// <summary>
        /// Waits for merges. The merger is told first: this thread's processed frames not yet announced may be the
        /// very ones it waits for.
        /// </summary>
        public void Await(Func<Turn, bool> ready)
        {
            _waiting = true;
            Interlocked.MemoryBarrier(); // pairs with the merger's after it merges: one of the two sees the other
            owner._mergerBell.Ring();
            bell.WaitUntil(this, ready);
            _waiting = false;
        }
    }
}
