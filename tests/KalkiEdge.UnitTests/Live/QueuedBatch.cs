using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Live;

namespace KalkiEdge.UnitTests.Live;

/// <summary>A test port's transmit batch: queues copies and hands them to the port's <see cref="IFrameSink.Send"/> in order when flushed.</summary>
internal sealed class QueuedBatch(IBridgePort port, int capacity) : ITransmitBatch
{
    private readonly List<Frame> _queued = [];

    public string Name => port.Name;

    public int Count => _queued.Count;

    /// <summary>Batches this port was sent (their sizes, in order).</summary>
    public List<int> Flushed { get; } = [];

    public void Send(Frame frame)
    {
        var copy = new Frame();
        copy.Load(frame.Data, frame.TimestampMicros, frame.Direction);
        _queued.Add(copy);
        if (_queued.Count == capacity)
        {
            Flush();
        }
    }

    public void Flush()
    {
        if (_queued.Count == 0)
        {
            return;
        }

        Flushed.Add(_queued.Count);
        foreach (var frame in _queued)
        {
            port.Send(frame);
        }

        _queued.Clear();
    }

    public void Dispose()
    {
    }
}
