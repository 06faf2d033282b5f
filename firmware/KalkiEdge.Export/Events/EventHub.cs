using KalkiEdge.ControlPlane;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Pairing;

namespace KalkiEdge.Export.Events;

/// <summary>
/// Turns what the appliance observes into <see cref="ApplianceEvent"/>s, each with its device's context, and hands
/// them to every sink. Observers are called on the control thread after the reaction, so sinks never sit between
/// an alert and its defense; a sink that throws is counted and skipped, never allowed to stop the others. A running
/// appliance also takes the sinks off the control thread (<see cref="StartDispatching"/>): the event is made there
/// (its context is that moment's) and the sinks get it on the hub's own thread, in order.
/// </summary>
public sealed class EventHub : IApplianceObserver, IQueuedSink
{
    /// <summary>Events held while the appliance is being built (a failed first deployment), before <see cref="Bind"/>.</summary>
    public const int EarlyCapacity = 1024;

    /// <summary>Events waiting for the sinks at most, when they are dispatched from the hub's own thread.</summary>
    public const int DispatchCapacity = 16_384;

    /// <summary>Events handed to the sinks per turn of the hub's thread before the queue's count is updated.</summary>
    private const int DispatchBatch = 64;

    private readonly List<IEventSink> _sinks = [];
    private EventQueueWorker? _dispatcher;
    private long _dropped;
    private List<(string Device, Func<DeviceContext, ApplianceEvent> Make)>? _early = [];
    private Func<string, DeviceContext> _context = static _ => DeviceContext.Unknown;
    private long _sinkFailures;

    /// <summary>Events observed before <see cref="Bind"/> beyond <see cref="EarlyCapacity"/> (not published).</summary>
    public long EarlyDropped { get; private set; }

    /// <summary>Sink calls that threw (each is skipped; the event still reaches the other sinks).</summary>
    public long SinkFailures => Interlocked.Read(ref _sinkFailures);

    /// <summary>The sinks, in the order they receive events (fixed once the appliance runs).</summary>
    public IReadOnlyList<IEventSink> Sinks => _sinks;

    /// <summary>Events no sink received because the hub's queue was full (<see cref="StartDispatching"/>).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events still queued when <see cref="StopDispatching"/> gave up waiting for a busy sink.</summary>
    public long Undelivered { get; private set; }

    /// <summary>The hub's own queue while it dispatches from its thread (read by /metrics beside the sinks' queues).</summary>
    public IEnumerable<SinkQueue> Queues => Volatile.Read(ref _dispatcher) is { } d ? [new SinkQueue("event-hub", d.Depth, Dropped)] : [];

    /// <summary>
    /// From now on the sinks receive events on the hub's own thread, through a queue of <paramref name="capacity"/>
    /// events (a full queue drops and counts, <see cref="Dropped"/>). Call once the sinks are added.
    /// </summary>
    /// <remarks>
    /// The control thread, which runs at the capture threads' real-time priority, then pays an enqueue per event and
    /// never the sinks' formatting, logging or first-call compilation (measured on the live testbed: 0.1-22 ms per
    /// event on the control thread after a reaction, during which it held a CPU that the rest of the machine was
    /// waiting for). The hub's thread runs at the process's normal priority: below the capture threads and the control loop.
    /// </remarks>
    public void StartDispatching(int capacity = DispatchCapacity)
    {
        if (_dispatcher is null)
        {
            var batch = new List<ApplianceEvent>(DispatchBatch); // the thread's own: a stopped one still busy with a hung sink keeps its batch
            _dispatcher = new EventQueueWorker("event-hub", capacity, queue => DeliverQueued(queue, batch));
        }
    }

    /// <summary>
    /// Delivers what is queued (waiting up to <paramref name="limit"/>, 5 s by default, for a busy sink) and goes back
    /// to handing events to the sinks on the caller's thread. Returns how many queued events were left undelivered.
    /// </summary>
    public long StopDispatching(TimeSpan? limit = null)
    {
        if (Interlocked.Exchange(ref _dispatcher, null) is not { } dispatcher)
        {
            return 0;
        }

        var left = dispatcher.Stop(limit ?? TimeSpan.FromSeconds(5));
        Undelivered += left;
        return left;
    }

    /// <summary>Adds a sink. Sinks are added before the appliance starts; the list is not changed afterwards.</summary>
    public EventHub Add(IEventSink sink)
    {
        _sinks.Add(sink);
        return this;
    }

    /// <summary>
    /// Where device contexts come from, once the control plane and the device table exist; events observed before
    /// (while the appliance was built) are published now, in order.
    /// </summary>
    public void Bind(IReadOnlyDictionary<string, ControlledDevice> controlled, DeviceTable devices)
    {
        var slots = new SlotsByName(devices);
        _context = name => controlled.TryGetValue(name, out var c)
            ? new DeviceContext(c.Pack.Name, c.State, c.Image.Length > 0 ? c.Image : ChainOf(c.Slot))
            : slots.Find(name) is { } slot ? new DeviceContext(null, null, ChainOf(slot)) : DeviceContext.Unknown;
        var early = _early;
        _early = null;
        foreach (var (device, make) in early ?? [])
        {
            Publish(make(_context(device)));
        }
    }

    public void OnAlert(Alert alert)
    {
        if (_early is null)
        {
            Publish(new AlertEvent(alert, _context(alert.Device)));
        }
        else
        {
            Hold(alert.Device, context => new AlertEvent(alert, context));
        }
    }

    public void OnTransition(TransitionEvent transition)
    {
        if (_early is null)
        {
            Publish(new TransitionOccurred(transition, _context(transition.Device)));
        }
        else
        {
            Hold(transition.Device, context => new TransitionOccurred(transition, context));
        }
    }

    /// <summary>
    /// A pairing result (called where the pairing settles: the panel's thread live, the frame loop in replay), at
    /// <paramref name="timeMicros"/> on the control clock. Published at once: pairing runs only after the appliance is built.
    /// </summary>
    public void OnPaired(AdmissionResult result, long timeMicros)
    {
        ArgumentNullException.ThrowIfNull(result);
        var v = result.Verdict;
        Publish(new PairingOccurred(timeMicros, v.DeviceName, result.Admitted ? PairingOutcome.Accepted : PairingOutcome.Rejected,
            Mac.Format(v.Mac), v.Pack, v.Confidence, v.NeedsReview, result.Detail, v.Evidence));
    }

    /// <summary>The operator cancelled the pairing window.</summary>
    public void OnPairingCancelled(long timeMicros) =>
        Publish(new PairingOccurred(timeMicros, "", PairingOutcome.Cancelled, null, null, 0, false, "pairing window cancelled by the operator", null));

    // Malformed frames and μmbox statistics stay in the replay output and the store; they are not security events.
    public void OnMalformed(long frameNumber, string device, string reason)
    {
    }

    public void OnUmboxLog(string device, string element, long timeMicros, string message)
    {
    }

    private static string? ChainOf(DeviceSlot slot) => slot.Chain?.Definition is { } d ? d.Image ?? d.Text : null;

    private void Hold(string device, Func<DeviceContext, ApplianceEvent> make)
    {
        if (_early!.Count < EarlyCapacity)
        {
            _early.Add((device, make));
        }
        else
        {
            EarlyDropped++;
        }
    }

    private void Publish(ApplianceEvent e)
    {
        // A dispatcher stopping meanwhile refuses the event without counting it: it is delivered here instead.
        if (Volatile.Read(ref _dispatcher)?.Post(e, ref _dropped) is null or EventQueueWorker.Posted.Stopped)
        {
            Deliver(e);
        }
    }

    /// <summary>Hands up to <see cref="DispatchBatch"/> queued events to the sinks, in order (a turn of the hub's thread).</summary>
    private EventQueueWorker.Turn DeliverQueued(BoundedEventQueue queue, List<ApplianceEvent> batch)
    {
        if (queue.TakeInto(batch, DispatchBatch) == 0)
        {
            return EventQueueWorker.Turn.Idle;
        }

        foreach (var e in batch)
        {
            Deliver(e);
        }

        batch.Clear();
        return EventQueueWorker.Turn.Again;
    }

    private void Deliver(ApplianceEvent e)
    {
        foreach (var sink in _sinks)
        {
            try
            {
                sink.Publish(e);
            }
#pragma warning disable CA1031 // a failing export must never take the control loop down with it
            catch (Exception)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _sinkFailures);
            }
        }
    }
}

/// <summary>
/// Devices with a fixed chain by name, in O(1) (the device table is indexed by MAC). Rebuilt when a name is missing
/// and the table has changed size (devices added or removed at run time); read on the control thread only.
/// </summary>
internal sealed class SlotsByName(DeviceTable devices)
{
    private Dictionary<string, DeviceSlot> _byName = new(StringComparer.Ordinal);

    public DeviceSlot? Find(string name)
    {
        if (_byName.TryGetValue(name, out var slot))
        {
            return slot;
        }

        if (_byName.Count == devices.Count)
        {
            return null;
        }

        var byName = new Dictionary<string, DeviceSlot>(devices.Count, StringComparer.Ordinal);
        foreach (var d in devices.All)
        {
            byName[d.Name] = d;
        }

        _byName = byName;
        return byName.GetValueOrDefault(name);
    }
}
