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
