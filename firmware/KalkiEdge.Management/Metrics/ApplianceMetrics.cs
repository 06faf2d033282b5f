using System.Diagnostics.Metrics;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.Export.Events;
using KalkiEdge.Management.Live;

namespace KalkiEdge.Management.Metrics;

/// <summary>
/// The appliance's instruments (System.Diagnostics.Metrics), on a <see cref="Meter"/> of its own that /metrics
/// exports. As a sink of the appliance's event hub (on the control thread, after the reaction) it counts alerts by
/// type (an aggregated alert counts as many as it stands for) and state changes, and records each change's reaction
/// time in a histogram. Everything else is observed at scrape time from counters that exist anyway
/// (<see cref="ObservedInstruments"/>): nothing is added to the frame path.
/// </summary>
public sealed class ApplianceMetrics : IEventSink, IDisposable
{
    public const string MeterName = "KalkiEdge";

    /// <summary>Upper bounds of the reaction-time buckets, in seconds (10 µs to 1 s; the target is 1 ms).</summary>
    public static readonly IReadOnlyList<double> ReactionBuckets = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1];

    private readonly Counter<long> _alerts;
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _reaction;
    private Func<IReadOnlyList<PortStatus>> _ports = static () => [];

    public ApplianceMetrics(Appliance.EdgeAppliance appliance, EventHub hub, DashboardStream stream)
    {
        Meter = new Meter(MeterName, Core.FirmwareVersion.Text);
        _alerts = Meter.CreateCounter<long>("kalki.alerts", description: "Alerts evaluated by the control plane, by alert type (aggregated alerts count as many as they stand for).");
        _transitions = Meter.CreateCounter<long>("kalki.transitions", description: "Security-state changes whose new chain is in force.");
        _reaction = Meter.CreateHistogram("kalki.reaction", "s", "Time from the alert's frame to the new chain in force, per state change.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ReactionBuckets });
        ObservedInstruments.Register(Meter, appliance, hub, stream, () => _ports());
    }

    /// <summary>The meter every instrument of this appliance is on (an exporter listens to exactly this one).</summary>
    public Meter Meter { get; }

    /// <summary>Where the live bridge's per-port statistics come from once it runs (none otherwise).</summary>
    public void WatchPorts(Func<IReadOnlyList<PortStatus>> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        _ports = ports;
    }

    public void Publish(ApplianceEvent e)
    {
        switch (e)
        {
            case AlertEvent { Alert: var a }:
                _alerts.Add(a.Count, new KeyValuePair<string, object?>("type", a.Type));
                break;
            case TransitionOccurred { Transition: var t }:
                _transitions.Add(1);
                _reaction.Record(t.ReactionMicros / 1e6);
                break;
        }
    }

    public void Dispose() => Meter.Dispose();
}
