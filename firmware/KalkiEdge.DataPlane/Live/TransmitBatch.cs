using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// One capture thread's frames for one port, put on the wire together: <see cref="IFrameSink.Send"/> queues a copy
/// (the caller reuses its frame) and <see cref="Flush"/> sends everything queued, in order. The bridge flushes when
/// its thread's port has nothing more to read, when the batch is full (the batch does it itself) and when the
/// thread stops, so a frame waits only for frames already queued behind it, never for traffic yet to come.
/// Owned by one thread: not thread-safe.
/// </summary>
public interface ITransmitBatch : IFrameSink
{
    /// <summary>Frames queued and not yet sent.</summary>
    int Count { get; }

    /// <summary>Sends every queued frame; failures are counted on the port, as <see cref="IFrameSink.Send"/> on the port counts them.</summary>
    void Flush();
}
