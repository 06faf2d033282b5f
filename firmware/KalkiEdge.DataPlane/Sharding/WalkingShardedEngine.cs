using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.DataPlane.Sharding;

/// <summary>What the merge does with one frame, in read order: its verdict, its reply (exactly when the verdict is a reply) and why it is malformed (or null).</summary>
public delegate void MergeFrame(Frame frame, Verdict verdict, Frame? reply, string? malformation);

/// <summary>
/// The engine on several threads for a source every thread can walk itself (<see cref="IRewalkableFrameSource"/>: a
/// capture file). Each engine thread walks the whole source, attributes every frame (its record and one or two MAC
/// lookups in a flat table, <see cref="FrameAttribution"/>), loads and processes only the frames of its own
/// devices (<see cref="ShardAssignment"/>), and publishes a byte per frame (<see cref="ShardResults"/>). The calling
/// thread is shard 0 and the merger: it walks the source too, processes its own frames and merges every frame in read
/// order as it reaches it, taking the other threads' results. Frame data is read where it is processed, so no frame
/// moves between cores; only the results do, 64 to a cache line, and the progress counters, a batch at a time.
/// <para>
/// The outcome is the single thread's, frame for frame, by the rules of <see cref="ShardedEngine"/>: whatever depends on
/// other devices' frames waits for the frame's turn (every earlier frame merged); an engine thread whose frame took its
/// turn waits until that frame is merged; a frame that may concern another device
/// (<see cref="PacketEngine.MayConcernAnotherDevice(Frame)"/>) runs alone: every engine thread sees it in its own walk and
/// waits there until it is merged. The merger's own frames need no turn: it merges in order, so every earlier frame is
/// merged by the time it processes one. An engine thread runs at most <see cref="Window"/> frames ahead of the merge.
/// </para>
/// A source that cannot be walked twice (a live capture) goes through <see cref="ShardedEngine"/>'s hand-off instead.
/// </summary>
public sealed class WalkingShardedEngine : IDisposable
{
    /// <summary>
    /// How far (in frames of the source) an engine thread may run ahead of the merge: enough to ride out a time slice
    /// lost to another process on a shared core (about 15 ms of frames), at a byte per frame in its results ring.
    /// </summary>
    public const int Window = 65_536;

    /// <summary>
    /// Frames between publications of progress (an engine thread's results, the merger's merge count), and between
    /// wake-ups: each publication moves a cache line to the other core, more than a frame's chain costs when it is per frame.
    /// </summary>
    public const int Batch = 64;

    /// <summary>
    /// How far the other thread must get before a parked one is woken: an engine thread that reached the horizon
    /// resumes once the merge has moved it this many frames on, and a merger that caught up with an engine thread
    /// once that thread has published this many results more (or stopped to wait itself). Waking a parked thread costs
    /// the ringer a system call: at every batch it would cost more than the batch's frames.
    /// </summary>
    public const int WakeStep = Window / 8;

    /// <summary>
    /// Shard 0's devices as a fraction of an even share: its thread also loads every frame and merges it, so with an
    /// even share it would finish last and the others would wait for it.
    /// </summary>
    public const double MergerShare = 0.8;

    private readonly PacketEngine _engine;
    private readonly double _firstShare;
    private FrameAttribution _attribution = new([]);
    private readonly Func<ElementContext> _createContext;
    private readonly int _threads;
    private readonly ShardResults[] _results;
    private readonly EngineCounters[] _tallies;
    private readonly Doorbell[] _bells;
    private readonly Doorbell _mergerBell = new();
    private readonly long[] _taken;
    private MergeCursors _cursors;
    private long _limit = long.MaxValue;
    private int _started;
    private volatile bool _stopping;
    private volatile ExceptionDispatchInfo? _failure;

    public WalkingShardedEngine(PacketEngine engine, int threads, Func<ElementContext> createContext)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(createContext);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _engine = engine;
        _createContext = createContext;
        _threads = threads;
        _firstShare = MergerShare / threads;
        _results = [.. Enumerable.Range(0, threads).Select(_ => new ShardResults(Window))];
        _tallies = new EngineCounters[threads];
        _bells = [.. Enumerable.Range(0, threads).Select(_ => new Doorbell())];
        _taken = new long[threads];
    }

    public int Threads => _threads;

    /// <summary>How many times the merger woke a parked engine thread (each a system call on the merging thread).</summary>
    public long EngineThreadWakes => _bells.Sum(b => b.Wakes);

    /// <summary>How many frames have been merged so far (published a batch at a time while nobody waits).</summary>
    public long Merged => Volatile.Read(ref _cursors.Merged);

    /// <summary>
    /// Walks sources opened by <paramref name="openWalk"/> (one per thread, each from the first frame) to their end or
    /// until <paramref name="cancel"/> is set, and calls <paramref name="merge"/> on this thread for every frame in read
    /// order. Frames the engine threads processed before the cancellation was seen are still merged. Returns why the
    /// source ended early (<see cref="FrameSourceException"/>'s message: the counts cover the frames before it), or null.
    /// An exception on an engine thread or in <paramref name="merge"/> ends the run and is rethrown here.
    /// </summary>
    public string? Run(Func<IFrameWalk> openWalk, MergeFrame merge, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(openWalk);
        ArgumentNullException.ThrowIfNull(merge);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("a WalkingShardedEngine runs once: its cursors and tallies belong to that run");
        }

        _attribution = FrameAttribution.Of(_engine, key => ShardAssignment.Of(key, _threads, _firstShare));
        Publish(0);
        var threads = new Thread[_threads];
        for (int i = 1; i < threads.Length; i++)
        {
            var shard = i;
            threads[i] = new Thread(() => Walk(shard, openWalk)) { IsBackground = true, Name = $"engine-{shard}" };
            threads[i].Start();
        }

        string? stopped = null;
        try
        {
            stopped = MergeInOrder(openWalk, merge, cancel);
        }
        catch (Exception e)
        {
            _failure ??= ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            _stopping = true;
            foreach (var bell in _bells)
            {
                bell.Ring();
            }

            for (int i = 1; i < threads.Length; i++)
            {
                threads[i].Join();
            }

            foreach (var tally in _tallies)
            {
                if (tally is not null)
                {
                    _engine.Counters.Add(tally);
                }
            }
        }

        _failure?.Throw();
        for (int i = 1; i < _threads; i++)
        {
            if (_results[i].Written != _taken[i])
            {
                throw new FrameSourceException($"the capture changed while it was replayed: engine thread {i} processed {_results[i].Written} frames of its devices where the merging walk found {_taken[i]}");
            }
        }

        return stopped;
    }

    public void Dispose()
    {
        _mergerBell.Dispose();
        foreach (var bell in _bells)
        {
            bell.Dispose();
        }
    }

    /// <summary>The calling thread: walks the source, processes shard 0's frames and merges every frame in order.</summary>
    // Called once a run, so tiering would run most of it unoptimised until on-stack replacement: optimised from the start.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? MergeInOrder(Func<IFrameWalk> openWalk, MergeFrame merge, CancellationToken cancel)
    {
        using var walk = openWalk();
        var frame = new Frame();
        var context = _createContext(); // no turn: every earlier frame is merged before this thread processes one
        context.Tally = _tallies[0] = new EngineCounters(); // made here, so it lies among this thread's own objects
        var ready = new long[_threads];
        long seq = 0;
        string? stopped = null;
        while (seq < Volatile.Read(ref _limit) && _failure is null)
        {
            if (cancel.IsCancellationRequested && _limit == long.MaxValue)
            {
                // The engine threads may have processed frames up to the horizon already: those are merged too.
                Volatile.Write(ref _limit, Volatile.Read(ref _cursors.Horizon));
                Publish(seq, ended: true);
                continue;
            }

            if (!TryLoad(walk, frame, seq, ref stopped))
            {
                break;
            }

            int shard = _attribution.ShardOf(_attribution.OwnerKey(frame.Data, out var direction));
            frame.Direction = direction;
            if (shard == 0)
            {
                var verdict = _engine.Process(frame, context);
                merge(frame, verdict, verdict == Verdict.Reply ? context.Reply : null, frame.Malformation);
            }
            else
            {
                var index = _taken[shard];
                if (index >= ready[shard])
                {
                    ready[shard] = AwaitResult(shard, index, seq);
                }

                var verdict = _results[shard].Read(index, out var reply, out var malformation);
                merge(frame, verdict, reply, malformation);
                _taken[shard] = index + 1;
            }

            seq++;
            if ((seq & (Batch - 1)) == 0 || Volatile.Read(ref _cursors.Waiting) != 0)
            {
                Publish(seq);
            }
        }

        // The merging walk decides where the run ends: no engine thread processes a frame beyond it.
        Volatile.Write(ref _limit, seq);
        Publish(seq, ended: true);
        return stopped;
    }

    /// <summary>The next frame of the merger's walk into <paramref name="frame"/>; a source that turns unreadable ends the walk with its reason.</summary>
    private static bool TryLoad(IFrameWalk walk, Frame frame, long seq, ref string? stopped)
    {
        try
        {
            if (!walk.TryNext(out var data, out var timestampMicros))
            {
                return false;
            }

            frame.Load(data, timestampMicros, Direction.FromDevice);
            frame.Number = seq + 1;
            return true;
        }
        catch (FrameSourceException e)
        {
            stopped = e.Message;
            return false;
        }
    }

    /// <summary>
    /// The merger needs engine thread <paramref name="shard"/>'s result <paramref name="index"/> (frame
    /// <paramref name="seq"/>): it first says every earlier frame is merged (the thread may be waiting for that very
    /// turn), then waits for the thread to publish. Returns how many results are published.
    /// </summary>
    private long AwaitResult(int shard, long index, long seq)
    {
        var results = _results[shard];
        if (results.Published > index)
        {
            return results.Published;
        }

        Publish(seq);
        _mergerBell.WaitUntil(
            (Results: results, Index: index, Owner: this),
            static s => s.Results.Published > s.Index || s.Results.Ended || s.Owner._failure is not null,
            wakeAt: index + WakeStep);
        if (results.Published > index)
        {
            return results.Published;
        }

        _failure?.Throw();
        throw new FrameSourceException($"the capture changed while it was replayed: engine thread {shard}'s walk ended before frame {seq + 1}, which the merging walk read");
    }

    /// <summary>
    /// Merger: every frame before <paramref name="merged"/> is merged; engine threads may run up to a window beyond it.
    /// They are woken when <paramref name="merged"/> reaches what they wait for, or all of them when the run's end
    /// (<see cref="_limit"/>) has just been set (<paramref name="ended"/>): no more progress may come.
    /// </summary>
    private void Publish(long merged, bool ended = false)
    {
        Volatile.Write(ref _cursors.Merged, merged);
        Volatile.Write(ref _cursors.Horizon, Math.Min(merged + Window, Volatile.Read(ref _limit)));
        for (int i = 1; i < _bells.Length; i++)
        {
            _bells[i].Ring(ended ? long.MaxValue : merged);
        }
    }

    /// <summary>One engine thread: walks the source, processes its devices' frames and publishes their results.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once a run, like MergeInOrder
    private void Walk(int shard, Func<IFrameWalk> openWalk)
    {
        var results = _results[shard];
        try
        {
            using var walk = openWalk();
            var frame = new Frame();
            var context = _createContext();
            var turn = new WalkTurn(this, shard);
            context.Turn = turn;
            context.Tally = _tallies[shard] = new EngineCounters(); // made here, among this thread's own objects
            long seq = 0, horizon = 0;
            while (!_stopping)
            {
                if (seq >= horizon)
                {
                    horizon = AwaitHorizon(shard, seq);
                    if (seq >= horizon)
                    {
                        return;
                    }
                }

                ReadOnlySpan<byte> data;
                long timestampMicros;
                try
                {
                    if (!walk.TryNext(out data, out timestampMicros))
                    {
                        return;
                    }
                }
                catch (FrameSourceException)
                {
                    return; // the merging walk meets the same error at the same frame and reports it
                }

                var key = _attribution.OwnerKey(data, out var direction);
                bool alone = PacketEngine.MayConcernAnotherDevice(data, direction);
                if (_attribution.ShardOf(key) == shard)
                {
                    frame.Load(data, timestampMicros, direction);
                    frame.Number = seq + 1;
                    turn.Begin(seq);
                    if (alone)
                    {
                        turn.Take();
                    }

                    var verdict = _engine.Process(frame, context);
                    if ((verdict == Verdict.Reply || frame.Malformation is not null) && !results.HasRoomForExtra)
                    {
                        AwaitExtraRoom(shard);
                    }

                    results.Put(verdict, verdict == Verdict.Reply ? context.Reply : null, frame.Malformation);
                    if (turn.Taken)
                    {
                        // The control plane reacts to this frame when it is merged (possibly swapping this device's
                        // chain): the device's next frame must see what a single thread would have shown it.
                        AwaitMerged(shard, seq + 1);
                    }
                    else if ((results.Written & (Batch - 1)) == 0)
                    {
                        results.Publish();
                        _mergerBell.Ring(results.Written);
                    }
                }
                else if (alone)
                {
                    AwaitMerged(shard, seq + 1);
                }

                seq++;
            }
        }
        catch (Exception e)
        {
            _failure ??= ExceptionDispatchInfo.Capture(e);
            _stopping = true;
        }
        finally
        {
            results.End();
            _mergerBell.Ring();
        }
    }

    /// <summary>
    /// Engine thread at the end of its window: publishes what it has (the merger may wait on it) and waits for the
    /// merge to move the horizon <see cref="WakeStep"/> frames past <paramref name="seq"/>, or to the run's end.
    /// </summary>
    private long AwaitHorizon(int shard, long seq)
    {
        _results[shard].Publish();
        _mergerBell.Ring(); // all of it: this thread publishes nothing more until the horizon moves
        long wanted = seq + WakeStep;
        _bells[shard].WaitUntil(
            (Owner: this, Wanted: wanted),
            static s => s.Owner.HorizonReached(s.Wanted) || s.Owner._stopping,
            wakeAt: wanted - Window); // the horizon is a window beyond the merge until the end is set, which rings every bell
        return _stopping ? seq : Volatile.Read(ref _cursors.Horizon);
    }

    /// <summary>The horizon is at <paramref name="wanted"/> or beyond, or at the run's end, where it moves no more.</summary>
    private bool HorizonReached(long wanted)
    {
        var horizon = Volatile.Read(ref _cursors.Horizon);
        return horizon >= wanted || horizon == Volatile.Read(ref _limit);
    }

    /// <summary>Engine thread: its ring of replies and malformations is full; the merger takes them in order.</summary>
    private void AwaitExtraRoom(int shard)
    {
        var results = _results[shard];
        results.Publish();
        Interlocked.Increment(ref _cursors.Waiting); // the merger rings after every frame while someone waits
        _mergerBell.Ring();
        _bells[shard].WaitUntil((Results: results, Owner: this), static s => s.Results.HasRoomForExtra || s.Owner._stopping);
        Interlocked.Decrement(ref _cursors.Waiting);
    }

    /// <summary>
    /// Engine thread: waits until the first <paramref name="count"/> frames are merged, having published its results
    /// (the merger may need them to get there). While it waits the merger publishes after every frame.
    /// </summary>
    private void AwaitMerged(int shard, long count)
    {
        _results[shard].Publish();
        Interlocked.Increment(ref _cursors.Waiting); // a full barrier: the merger sees the waiter or this thread sees the merge
        _mergerBell.Ring();
        _bells[shard].WaitUntil((Owner: this, Count: count), static s => Volatile.Read(ref s.Owner._cursors.Merged) >= s.Count || s.Owner._stopping, wakeAt: count);
        Interlocked.Decrement(ref _cursors.Waiting);
    }

    /// <summary>An engine thread's current frame's turn: every earlier frame merged.</summary>
    private sealed class WalkTurn(WalkingShardedEngine owner, int shard) : IFrameTurn
    {
        private long _sequence;

        public bool Taken { get; private set; }

        public void Begin(long sequence)
        {
            _sequence = sequence;
            Taken = false;
        }

        public void Take()
        {
            if (!Taken)
            {
                Taken = true;
                owner.AwaitMerged(shard, _sequence);
            }
        }
    }

    /// <summary>
    /// The merger's counters, each on its own cache line: engine threads read <see cref="Merged"/> and
    /// <see cref="Horizon"/> and write <see cref="Waiting"/>, and a line written by one core is taken from the others.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 4 * CacheLine)]
    private struct MergeCursors
    {
        private const int CacheLine = 64;

        [FieldOffset(CacheLine)]
        public long Merged;

        [FieldOffset(CacheLine + 8)]
        public long Horizon;

        [FieldOffset(2 * CacheLine)]
        public int Waiting;
    }
}
