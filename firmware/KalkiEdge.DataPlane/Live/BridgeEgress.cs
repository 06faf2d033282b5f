using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// The last step between a chain's verdict and the wire, one instance per capture thread (it need not be
/// thread-safe). The data plane knows no signing: the appliance's composition plugs packet signing in here
/// (tag when the frame leaves its chain, verify just before it is put on <c>port</c>).
/// </summary>
public interface IBridgeEgress : IDisposable
{
    /// <summary>True while frames are held: the capture thread then polls its port instead of blocking on it.</summary>
    bool Holding { get; }

    /// <summary>
    /// <paramref name="outgoing"/> left the chain generation <paramref name="ran"/> (the forwarded frame, or the reply
    /// the chain built; the engine's <see cref="ElementContext.Ran"/> for the frame it processed) and goes to
    /// <paramref name="port"/>. Sent now or later: an implementation that holds it copies it, as the frame is reused by the caller.
    /// </summary>
    void Submit(Frame outgoing, in ChainRun ran, IFrameSink port);

    /// <summary>The port has nothing more to read right now, or the thread is stopping: release everything held.</summary>
    void Release();

    /// <summary>
    /// How long until <see cref="Release"/> has work even though the port stays dry (e.g. a batch root coming due), so
    /// the capture thread wakes for it on a link that falls silent; null when nothing is pending.
    /// </summary>
    TimeSpan? ReleaseDueIn => null;
}

/// <summary>No egress stage: frames go straight to their port (signing off).</summary>
public sealed class DirectEgress : IBridgeEgress
{
    public static DirectEgress Instance { get; } = new();

    public bool Holding => false;

    public void Submit(Frame outgoing, in ChainRun ran, IFrameSink port)
    {
        ArgumentNullException.ThrowIfNull(port);
        port.Send(outgoing);
    }

    public void Release()
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// An egress that puts frames on the wire from a thread of its own (e.g. a signing thread beside the capture thread):
/// <see cref="IBridgeEgress.Submit"/> only hands the frame over, and the egress's thread sends it into the capture
/// thread's transmit batches (the sinks given to Submit) and flushes them. From <see cref="Start"/> on, only the
/// egress's thread touches those batches; the capture thread neither flushes them nor waits for them.
/// </summary>
public interface IThreadedEgress : IBridgeEgress
{
    /// <summary>
    /// Called once on the capture thread before its first frame: starts the egress's thread (which must take over the capture
    /// thread's scheduling class: a new thread keeps its nice value but not SCHED_FIFO) for port <paramref name="port"/>; <paramref name="flushBatches"/> puts what its
    /// batches hold on the wire. <see cref="IDisposable.Dispose"/> sends everything handed over, then stops the thread.
    /// </summary>
    void Start(string port, Action flushBatches);
}
