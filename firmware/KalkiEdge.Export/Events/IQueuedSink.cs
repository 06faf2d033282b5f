namespace KalkiEdge.Export.Events;

/// <summary>One queue between the control loop and a sink's own thread: what waits in it now and what it has dropped.</summary>
public readonly record struct SinkQueue(string Name, long Depth, long Dropped);

/// <summary>
/// A sink that hands events to a thread (or a disk queue) of its own. Its queues are read at scrape time by
/// /metrics, so a collector that is away shows as a growing depth before it shows as drops.
/// </summary>
public interface IQueuedSink
{
    IEnumerable<SinkQueue> Queues { get; }
}
