using System.Diagnostics.Metrics;
using KalkiEdge.Appliance;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.Export.Events;
using KalkiEdge.Management.Live;

namespace KalkiEdge.Management.Metrics;

/// <summary>
/// Instruments read at scrape time from counters the appliance keeps anyway: frames by verdict (engine and per
/// device), devices by state, the alert queue, capture loss per port (libpcap's ring and interface drops, failed
/// sends, frames over the snaplen, as the live bridge last read them), and the depth and drops of every queue
/// between the control loop and a slower consumer (the store writer, each export sink, the dashboard stream).
/// </summary>
internal static class ObservedInstruments
{
    public static void Register(Meter meter, EdgeAppliance appliance, EventHub hub, DashboardStream stream, Func<IReadOnlyList<PortStatus>> ports)
    {
        var engine = appliance.Engine;
        var c = engine.Counters;
        meter.CreateObservableCounter("kalki.frames", () => Interlocked.Read(ref c.Frames), description: "Frames the engine processed.");
        meter.CreateObservableCounter("kalki.frames.verdict", () => ByTag("verdict",
            ("forwarded", Interlocked.Read(ref c.Forwarded)), ("dropped", Interlocked.Read(ref c.Dropped)),
            ("replied", Interlocked.Read(ref c.Replied)), ("malformed", Interlocked.Read(ref c.Malformed))), description: "Frames by what became of them (malformed frames are dropped too).");
        meter.CreateObservableCounter("kalki.frames.unknown_device", () => Interlocked.Read(ref c.UnknownDevice), description: "Frames of MACs no device has (handled by unknown-devices).");
        meter.CreateObservableCounter("kalki.frames.spoofed", () => Interlocked.Read(ref c.Spoofed), description: "Frames refused by the identity checks (IP, ARP, MAC spoofing).");
        meter.CreateObservableCounter("kalki.device.frames", () => engine.Devices.All.SelectMany(d => new[]
        {
            new Measurement<long>(Interlocked.Read(ref d.Counters.Forwarded), new("device", d.Name), new("verdict", "forwarded")),
            new Measurement<long>(Interlocked.Read(ref d.Counters.Dropped), new("device", d.Name), new("verdict", "dropped")),
        }), description: "Frames per device by verdict.");
        meter.CreateObservableGauge("kalki.devices", () => engine.Devices.All
            .GroupBy(d => EdgeAppliance.StateOf(d) ?? "none", StringComparer.Ordinal)
            .Select(g => Measure(g.Count(), "state", g.Key)), description: "Devices by security state ('none': a fixed chain, no pack).");

        var alerts = appliance.Alerts.Counters;
        meter.CreateObservableCounter("kalki.alert_queue.alerts", () => ByTag("outcome",
            ("raised", Interlocked.Read(ref alerts.Raised)), ("coalesced", Interlocked.Read(ref alerts.Coalesced)),
            ("dropped", Interlocked.Read(ref alerts.Dropped)), ("evaluated", Interlocked.Read(ref alerts.Drained))), description: "Alerts entering the control plane's queue, by outcome (coalesced into a counted alert when a device's lane is full; dropped beyond that).");

        if (appliance.Store?.Writer is { } writer)
        {
            meter.CreateObservableGauge("kalki.store.queue.depth", () => writer.BulkQueued, description: "Bulk records (alerts, telemetry, logs) waiting for the store writer.");
            meter.CreateObservableCounter("kalki.store.records.dropped", () => Interlocked.Read(ref writer.Counters.DroppedBulk), description: "Bulk records dropped because the store writer's queue was full.");
        }

        meter.CreateObservableGauge("kalki.sink.queue.depth", () => Queues(hub).Select(q => Measure(q.Depth, "sink", q.Name)),
            description: "Events waiting for an export sink's own thread (eve-file, syslog, fleet) or in the fleet's outbox on disk (fleet-outbox).");
        meter.CreateObservableCounter("kalki.sink.events.dropped", () => Queues(hub).Select(q => Measure(q.Dropped, "sink", q.Name)),
            description: "Events an export sink dropped because its queue was full (the fleet outbox: oldest removed, or refused by the disk).");

        meter.CreateObservableCounter("kalki.capture.lost", () => ports().SelectMany(p => new[]
        {
            new Measurement<long>(p.Capture.KernelDropped, new("port", p.Name), new("reason", "ring")),
            new Measurement<long>(p.Capture.InterfaceDropped, new("port", p.Name), new("reason", "interface")),
            new Measurement<long>(p.SendErrors, new("port", p.Name), new("reason", "send-failed")),
            new Measurement<long>(p.Truncated, new("port", p.Name), new("reason", "over-snaplen")),
        }), description: "Frames lost per bridge port: dropped by the kernel's capture ring or the interface (libpcap's statistics), sends that failed, frames longer than the snaplen.");
        meter.CreateObservableCounter("kalki.port.frames", () => ports().SelectMany(p => new[]
        {
            new Measurement<long>(p.Received, new("port", p.Name), new("direction", "received")),
            new Measurement<long>(p.Sent, new("port", p.Name), new("direction", "sent")),
        }), description: "Frames received from and sent to each bridge port.");

        meter.CreateObservableGauge("kalki.dashboard.clients", () => stream.Clients, description: "Live-event (Server-Sent Events) clients connected.");
        meter.CreateObservableCounter("kalki.dashboard.clients.dropped", () => stream.DroppedClients, description: "Live-event clients dropped for falling behind.");
        meter.CreateObservableGauge("kalki.dashboard.stream.queue.depth", () => stream.Queued, description: "Events waiting to be sent to the live-event clients.");
        meter.CreateObservableCounter("kalki.dashboard.stream.alerts.folded", () => ByTag("into", ("flood", stream.FoldedAlerts), ("overflow", stream.OverflowedAlerts)),
            description: "Alerts the live stream did not send on their own: folded into a flood event of their device and type, or counted into an overflow event.");
        meter.CreateObservableGauge("process.resident_memory", () => Environment.WorkingSet, "By", "Resident memory of the appliance process.");
    }

    private static IEnumerable<SinkQueue> Queues(EventHub hub) => hub.Queues.Concat(hub.Sinks.OfType<IQueuedSink>().SelectMany(s => s.Queues));

    private static IEnumerable<Measurement<long>> ByTag(string tag, params (string Value, long Count)[] counts) => counts.Select(c => Measure(c.Count, tag, c.Value));

    private static Measurement<long> Measure(long value, string tag, string tagValue) => new(value, new KeyValuePair<string, object?>(tag, tagValue));
}
