using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace KalkiEdge.Export.Events;

/// <summary>
/// The queue between the control loop and one sink's own thread: adding never blocks and never grows past
/// <paramref name="capacity"/>; a refused event is the caller's to count as dropped.
/// </summary>
internal sealed class BoundedEventQueue(int capacity)
{
    private readonly ConcurrentQueue<ApplianceEvent> _queue = new();
    private int _count;

    public bool IsEmpty => _queue.IsEmpty;

    /// <summary>Events waiting now.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool TryAdd(ApplianceEvent e)
    {
        if (Interlocked.Increment(ref _count) > capacity)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }

        _queue.Enqueue(e);
        return true;
    }

    /// <summary>
    /// Moves up to <paramref name="max"/> events into <paramref name="into"/>, in order; how many. One atomic update of
    /// the count for the lot: the cache line the control loop increments is not fought over once per event.
    /// </summary>
    public int TakeInto(List<ApplianceEvent> into, int max)
    {
        int n = 0;
        while (n < max && _queue.TryDequeue(out var e))
        {
            into.Add(e);
            n++;
        }

        if (n > 0)
        {
            Interlocked.Add(ref _count, -n);
        }

        return n;
    }

    public bool TryPeek([MaybeNullWhen(false)] out ApplianceEvent e) => _queue.TryPeek(out e);

    public bool TryTake([MaybeNullWhen(false)] out ApplianceEvent e)
    {
        if (!_queue.TryDequeue(out e))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }
}
