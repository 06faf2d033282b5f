using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// One port of the bridge: a frame source (its inbound frames only) and a sink (frames to put on its wire).
/// <see cref="IFrameSource.TryRead"/> blocks until a frame arrives and returns false once the port is stopped.
/// </summary>
public interface IBridgePort : IFrameSource, IFrameSink
{
    /// <summary>The interface name (one name for both roles).</summary>
    new string Name { get; }

    /// <summary>The port's own MAC: frames to or from it are the appliance's, never bridged.</summary>
    ulong Mac { get; }

    PortCounters Counters { get; }

    /// <summary>Reads a frame if one is already waiting, without blocking (the capture thread polls while its egress holds frames).</summary>
    PortRead ReadNow(Frame frame);

    /// <summary>Reads a frame, waiting for one at most <paramref name="limit"/> (<see cref="PortRead.Empty"/> when none came).</summary>
    PortRead ReadWithin(Frame frame, TimeSpan limit);

    /// <summary>A batch through which one thread sends up to <paramref name="capacity"/> frames at a time to this port.</summary>
    ITransmitBatch OpenBatch(int capacity);

    /// <summary>Makes a blocked or later <see cref="IFrameSource.TryRead"/> return false; callable from any thread.</summary>
    void Stop();

    /// <summary>The capture library's own statistics (cumulative since open).</summary>
    CaptureStatistics ReadStatistics();
}

/// <summary>What <see cref="IBridgePort.ReadNow"/> found.</summary>
public enum PortRead
{
    /// <summary>A frame was read into the caller's frame.</summary>
    Frame,

    /// <summary>Nothing is waiting right now.</summary>
    Empty,

    /// <summary>The port is stopped.</summary>
    Stopped,
}

/// <summary>Our own per-port counters; updated by the port's capture thread and by senders (atomically).</summary>
public sealed class PortCounters
{
    public long Received;
    public long Sent;
    public long SendErrors;

    /// <summary>Frames longer than the snaplen: dropped, never forwarded cut short.</summary>
    public long Truncated;
}

/// <summary>libpcap's view: frames the socket saw, dropped because the ring was full, dropped by the driver.</summary>
public readonly record struct CaptureStatistics(long Received, long KernelDropped, long InterfaceDropped);
