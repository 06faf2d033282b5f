namespace KalkiEdge.DataPlane.Io;

/// <summary>
/// Where frames come from: a pcap file now, live SharpPcap devices later. The seam is deliberately small:
/// fill a reused <see cref="Frame"/>, or say the source is exhausted.
/// </summary>
public interface IFrameSource : IDisposable
{
    /// <summary>A name for messages (file path, interface name).</summary>
    string Name { get; }

    /// <summary>Loads the next frame into <paramref name="frame"/>; false at the end of the source.</summary>
    bool TryRead(Frame frame);
}

/// <summary>
/// A source that can be walked again from its first frame, independently of other walks (a capture file; a live port
/// cannot): engine threads each walk it themselves and process only their own devices' frames, instead of being handed
/// every frame by one reading thread (<see cref="Sharding.WalkingShardedEngine"/>).
/// </summary>
public interface IRewalkableFrameSource : IFrameSource
{
    /// <summary>A new walk over the same frames, from the first; every walk yields the same frames in the same order.</summary>
    IFrameWalk OpenWalk();
}

/// <summary>One walk over a source's frames, without loading them into a <see cref="Frame"/>.</summary>
public interface IFrameWalk : IDisposable
{
    /// <summary>
    /// The next frame's bytes (valid until the next call) and capture time; false at the end of the source. A source
    /// that turns out unreadable throws <see cref="FrameSourceException"/> at the same frame on every walk.
    /// </summary>
    bool TryNext(out ReadOnlySpan<byte> data, out long timestampMicros);
}

/// <summary>Where forwarded frames go: a pcap file, or a live port.</summary>
public interface IFrameSink : IDisposable
{
    string Name { get; }

    void Send(Frame frame);
}

/// <summary>A source that cannot be read (missing, corrupt, wrong link type): what, where, why.</summary>
public sealed class FrameSourceException : Exception
{
    public FrameSourceException(string message) : base(message) { }

    public FrameSourceException(string message, Exception inner) : base(message, inner) { }

    public FrameSourceException() { }
}

/// <summary>A sink that cannot be written (no permission, disk full, device error): what, where, why.</summary>
public sealed class FrameSinkException : Exception
{
    public FrameSinkException(string message) : base(message) { }

    public FrameSinkException(string message, Exception inner) : base(message, inner) { }

    public FrameSinkException() { }
}
