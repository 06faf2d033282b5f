using System.Diagnostics;

namespace KalkiEdge.Export.Fleet;

/// <summary>How often one step of the publisher's thread ran, its total and its longest time, and the items it handled.</summary>
public sealed class FleetStep(string name)
{
    private long _count;
    private long _ticks;
    private long _maxTicks;
    private long _items;

    public string Name { get; } = name;

    public long Count => Interlocked.Read(ref _count);

    public long Items => Interlocked.Read(ref _items);

    public TimeSpan Total => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks));

    public TimeSpan Longest => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _maxTicks));

    /// <summary>Records one run that began at the <see cref="Stopwatch"/> timestamp <paramref name="started"/> and handled <paramref name="items"/>.</summary>
    public void Record(long started, long items)
    {
        var ticks = Stopwatch.GetTimestamp() - started;
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _ticks, ticks);
        Interlocked.Add(ref _items, items);
        if (ticks > Interlocked.Read(ref _maxTicks))
        {
            Interlocked.Exchange(ref _maxTicks, ticks); // only the publisher's thread records: no lost maximum
        }
    }

    public override string ToString() =>
        $"{Name}: {Count:N0} runs, {Total.TotalMilliseconds:N0} ms in all, longest {Longest.TotalMilliseconds:N1} ms, {Items:N0} items";
}

/// <summary>
/// Where the publisher's thread spends its time, step by step (a few timestamps per round, never per event): the
/// bench reads it to tell the broker's round trips from the disk's commits and the thread's waits.
/// </summary>
public sealed class FleetTimings
{
    /// <summary>Events (and their rows) appended to the outbox on disk, one transaction each.</summary>
    public FleetStep OutboxAppend { get; } = new("outbox append");

    /// <summary>The oldest outbox rows read for publishing.</summary>
    public FleetStep OutboxRead { get; } = new("outbox read");

    /// <summary>Acknowledged rows deleted from the outbox.</summary>
    public FleetStep OutboxRemove { get; } = new("outbox remove");

    /// <summary>A window of messages published and acknowledged (items: events).</summary>
    public FleetStep Publish { get; } = new("publish + ack");

    /// <summary>The thread asleep with nothing queued (items: 1 when an event or a reply woke it before the fallback).</summary>
    public FleetStep Sleep { get; } = new("sleep");

    /// <summary>With the broker away, the thread gathering the next round for the outbox (items: 1 when it was cut short, as by stopping).</summary>
    public FleetStep Gather { get; } = new("gather for the outbox");

    public IEnumerable<FleetStep> Steps => [OutboxAppend, OutboxRead, OutboxRemove, Publish, Sleep, Gather];
}
