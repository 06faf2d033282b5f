using System.Collections.Concurrent;
using KalkiEdge.Core;

namespace KalkiEdge.ControlPlane;

/// <summary>Alert queue counters (read by status displays and tests).</summary>
public sealed class AlertQueueCounters
{
    public long Raised;
    public long Queued;
    public long Coalesced;
    public long Dropped;
    public long Drained;
}

/// <summary>
/// Where the data plane's alerts go (<see cref="IAlertSink"/>): cheap and never blocking on the data-plane thread.
/// Each device has its own bounded lane, and lanes are drained round-robin, so a device flooding alerts cannot
/// delay another device's reaction. When a lane is full, further alerts are coalesced per type into one alert whose
/// <see cref="Alert.Count"/> adds up what it stands for (and whose time is the latest); beyond a few distinct types
/// they are dropped and counted. Memory is bounded by lanes × (capacity + types).
/// </summary>
public sealed class AlertQueue : IAlertSink
{
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Lane> _ready = new();
    private readonly int _laneCapacity;
    private readonly int _maxLanes;
    private readonly int _maxOverflowTypes;

    public AlertQueue(int laneCapacity = 64, int maxLanes = 65_536, int maxOverflowTypes = 16)
    {
        _laneCapacity = laneCapacity;
        _maxLanes = maxLanes;
        _maxOverflowTypes = maxOverflowTypes;
    }

    public AlertQueueCounters Counters { get; } = new();

    /// <summary>Signalled when a lane becomes non-empty (the live evaluation loop waits on it).</summary>
    public SemaphoreSlim Ready { get; } = new(0);

    public bool IsEmpty => _ready.IsEmpty;

    public void Raise(Alert alert)
    {
        Interlocked.Increment(ref Counters.Raised);
        if (!_lanes.TryGetValue(alert.Device, out var lane))
        {
            if (_lanes.Count >= _maxLanes)
            {
                Interlocked.Increment(ref Counters.Dropped);
                return;
            }

            lane = _lanes.GetOrAdd(alert.Device, static _ => new Lane());
        }

        bool schedule;
        lock (lane)
        {
            if (lane.Items.Count < _laneCapacity)
            {
                lane.Items.Enqueue(alert);
                Interlocked.Increment(ref Counters.Queued);
            }
            else if (!Coalesce(lane, alert))
            {
                Interlocked.Increment(ref Counters.Dropped);
                return;
            }

            schedule = !lane.Scheduled;
            lane.Scheduled = true;
        }

        if (schedule)
        {
            _ready.Enqueue(lane);
            Ready.Release();
        }
    }

    /// <summary>
    /// Hands queued alerts to <paramref name="handle"/>, at most <paramref name="perTurn"/> per device before moving
    /// to the next device. Single consumer. Returns the number handled.
    /// </summary>
    public int Drain(Action<Alert> handle, int perTurn = 16, int max = int.MaxValue)
    {
        int handled = 0;
        var batch = new List<Alert>(perTurn);
        while (handled < max && _ready.TryDequeue(out var lane))
        {
            batch.Clear();
            lock (lane)
            {
                while (batch.Count < perTurn && lane.Items.TryDequeue(out var a))
                {
                    batch.Add(a);
                }

                if (lane.Items.Count == 0 && lane.Overflow.Count > 0)
                {
                    // The lane caught up: release what was coalesced while it was full.
                    foreach (var (_, o) in lane.Overflow)
                    {
                        batch.Add(o.First with { Count = o.Count, TimeMicros = o.LastMicros });
                    }

                    lane.Overflow.Clear();
                }

                lane.Scheduled = lane.Items.Count > 0;
            }

            if (lane.Scheduled)
            {
                _ready.Enqueue(lane); // round-robin: back of the line
            }

            foreach (var a in batch)
            {
                handle(a);
            }

            handled += batch.Count;
            Interlocked.Add(ref Counters.Drained, batch.Count);
        }

        return handled;
    }

    private bool Coalesce(Lane lane, Alert alert)
    {
        if (lane.Overflow.TryGetValue(alert.Type, out var o))
        {
            lane.Overflow[alert.Type] = o with { Count = o.Count + alert.Count, LastMicros = Math.Max(o.LastMicros, alert.TimeMicros) };
        }
        else if (lane.Overflow.Count < _maxOverflowTypes)
        {
            lane.Overflow[alert.Type] = new Overflow(alert, alert.Count, alert.TimeMicros);
        }
        else
        {
            return false;
        }

        Interlocked.Increment(ref Counters.Coalesced);
        return true;
    }

    private readonly record struct Overflow(Alert First, int Count, long LastMicros);

    private sealed class Lane
    {
        public Queue<Alert> Items { get; } = new();

        public Dictionary<string, Overflow> Overflow { get; } = new(StringComparer.Ordinal);

        public bool Scheduled { get; set; }
    }
}
