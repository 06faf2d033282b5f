using KalkiEdge.Assurance.Signing;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.DataPlane.Sharding;

namespace KalkiEdge.Appliance.Live;

/// <summary>
/// Packet signing on a thread of its own beside one capture thread, so the tag does not cost the forwarding thread
/// its throughput. The capture thread hands each frame that left a chain, with the device, chain and epoch in force
/// just after the chain ran, to the signing thread through a bounded ring (<see cref="HandOffRing"/>); the signing
/// thread tags it for that generation, makes the egress check (the generation must still be in force) and is the only
/// one that puts it in the port's transmit batch, so a frame never leaves unsigned. A full ring makes the capture
/// thread wait: backpressure, never a bypass. If the signing thread fails, the capture thread's next call throws,
/// which stops the bridge (fail closed).
/// </summary>
public sealed class SigningThreadEgress : IThreadedEgress
{
    /// <summary>Slots per ring: 256 frame buffers of 2 KB per port.</summary>
    public const int DefaultCapacity = 256;

    // The capture thread publishes (and wakes the signing thread) after this many frames, or as soon as its port has
    // nothing more to read: a frame waits only for frames already queued behind it. One fence and one cursor crossing
    // cores per batch, not per frame.
    private const int PublishEvery = 16;

    // The signing thread frees slots (and wakes a waiting capture thread) after this many, and whenever the ring runs dry.
    private const int FreeEvery = 32;

    // A signing thread parked on an empty ring is woken by the capture thread's batch publishes only once this many
    // frames wait: each wake is a system call on the capture thread. A lone frame does not wait for the mark: Release
    // (the port ran dry) wakes the signing thread whatever is queued.
    private const int WakeSigningAfter = 64;

    private readonly SigningStage _stage;
    private readonly HandOffRing _ring;
    private readonly Doorbell _work = new();
    private readonly Doorbell _room = new();
    private Thread? _thread;
    private Action _flushBatches = static () => { };
    private int _realtimePriority; // the capture thread's, taken over by the signing thread
    private volatile bool _stopping;
    private volatile Exception? _failure;
    private long _releasedAt; // capture thread: slots filled when it last released (woke the signing thread for them)

    public SigningThreadEgress(SigningStage stage, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(stage);
        _stage = stage;
        _ring = new HandOffRing(capacity);
    }

    public SigningCounters Counters => _stage.Counters;

    /// <summary>Times the capture thread found the ring full and waited for the signing thread.</summary>
    public long Backpressure { get; private set; }

    /// <summary>How many times the signing thread was woken from parking (each a system call on the capture thread).</summary>
    public long SigningWakes => _work.Wakes;

    /// <summary>How many times the capture thread was woken from waiting for room (each a system call on the signing thread).</summary>
    public long CaptureWakes => _room.Wakes;

    /// <summary>
    /// Frames handed over since the last <see cref="Release"/> (published or not, the signing thread may be parked
    /// short of its wake mark): the bridge then polls its port and calls <see cref="Release"/> when it runs dry.
    /// </summary>
    public bool Holding => _ring.Filled > _releasedAt;

    public void Start(string port, Action flushBatches)
    {
        ArgumentNullException.ThrowIfNull(flushBatches);
        if (_thread is not null)
        {
            throw new InvalidOperationException($"the signing thread for {port} is already started");
        }

        _flushBatches = flushBatches;
        _realtimePriority = CaptureThreadPriority.CurrentRealtimePriority();
        _thread = new Thread(Run) { Name = $"sign {port}", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Capture thread: hands the frame over (a copy into the ring's slot), waiting while the ring is full.</summary>
    public void Submit(Frame outgoing, in ChainRun ran, IFrameSink port)
    {
        ArgumentNullException.ThrowIfNull(outgoing);
        ArgumentNullException.ThrowIfNull(port);
        if (_thread is null)
        {
            throw new InvalidOperationException("the signing thread is not started: a frame handed over now would never leave");
        }

        if (!_ring.HasRoom)
        {
            Backpressure++;
            Release(); // what is filled must reach the signing thread, or no slot would ever be freed
            _room.WaitUntil(this, static s => s._ring.HasRoom || s._failure is not null);
        }

        ThrowIfFailed();
        var slot = _ring.NextFree;
        slot.Hold(outgoing, ran.Device, ran.Chain, ran.Epoch, port);
        _ring.Fill();
        if (_ring.Unpublished >= PublishEvery)
        {
            _ring.Publish();
            _work.Ring(_ring.Filled); // wakes a parked signing thread only once WakeSigningAfter frames wait
        }
    }

    /// <summary>Capture thread, its port ran dry or it is stopping: what is handed over goes to the signing thread now.</summary>
    public void Release()
    {
        ThrowIfFailed();
        _ring.Publish();
        _releasedAt = _ring.Filled;
        _work.Ring();
    }

    /// <summary>Capture thread, at its end: everything handed over is signed and sent, then the signing thread stops.</summary>
    public void Dispose()
    {
        _ring.Publish();
        _stopping = true;
        _work.Ring();
        if (_thread is { } thread && !thread.Join(TimeSpan.FromSeconds(5)))
        {
            throw new TimeoutException($"{thread.Name} did not stop within 5 s");
        }

        _stage.Dispose();
        _work.Dispose();
        _room.Dispose();
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new InvalidOperationException($"packet signing failed on {_thread?.Name}: {failure.Message}; nothing leaves unsigned, so this port stops", failure);
        }
    }

    private void Run()
    {
        // The signing thread runs in the capture thread's class: left in the normal class beside a real-time capture
        // thread, it waits behind every busy process while the capture thread spins on a full ring.
        if (_realtimePriority > 0)
        {
            CaptureThreadPriority.TryApplyRealtime(_realtimePriority);
        }

        try
        {
            while (true)
            {
                _work.WaitUntil(this, static s => s._ring.HasWork || s._stopping || s._stage.RootDue, _ring.Taken + WakeSigningAfter);
                bool stopping = _stopping; // read before draining: everything published before the stop is drained below
                Drain();
                if (stopping)
                {
                    _stage.Flush();
                    _flushBatches();
                    return;
                }

                _stage.Idle();
                _flushBatches();
            }
        }
#pragma warning disable CA1031 // the failure is handed to the capture thread, which stops the bridge
        catch (Exception e)
#pragma warning restore CA1031
        {
            _failure = e;
            _room.Ring();
        }
    }

    private void Drain()
    {
        int taken = 0;
        while (_ring.HasWork)
        {
            var slot = _ring.Next;
            _stage.Submit(slot.Frame, slot.Device, slot.Chain, slot.Epoch, slot.Sink);
            slot.Clear();
            _ring.Take();
            if (++taken % FreeEvery == 0)
            {
                Free();
            }
        }

        Free();
    }

    private void Free()
    {
        _ring.Free();
        _room.Ring();
    }
}
