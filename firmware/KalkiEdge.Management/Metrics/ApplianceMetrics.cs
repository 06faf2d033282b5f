using System.Collections.Concurrent;
using KalkiEdge.Export.Events;

namespace KalkiEdge.Management.Metrics;

/// <summary>
/// What /metrics counts from the appliance's event hub (of which it is a sink, on the control thread after the
/// reaction): alerts by type (an aggregated alert counts as many as it stands for), state changes, and the reaction
/// time of each change as a histogram. Everything else /metrics shows is read from counters that exist anyway at
/// scrape time.
/// </summary>
public sealed class ApplianceMetrics : IEventSink
{
    /// <summary>Upper bounds of the reaction-time buckets, in seconds (10 µs to 1 s; the target is 1 ms).</summary>
    public static readonly double[] ReactionBuckets = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1];

    private readonly ConcurrentDictionary<string, long> _alerts = new(StringComparer.Ordinal);
    private readonly long[] _buckets = new long[ReactionBuckets.Length + 1];
    private long _transitions;
    private long _reactionMicrosSum;

    public void Publish(ApplianceEvent e)
    {
        switch (e)
        {
            case AlertEvent { Alert: var a }:
                _alerts.AddOrUpdate(a.Type, a.Count, (_, n) => n + a.Count);
                break;
            case TransitionOccurred { Transition: var t }:
                var seconds = t.ReactionMicros / 1e6;
                var bucket = Array.FindIndex(ReactionBuckets, b => seconds <= b);
                Interlocked.Increment(ref _buckets[bucket < 0 ? ReactionBuckets.Length : bucket]);
                Interlocked.Add(ref _reactionMicrosSum, t.ReactionMicros);
                Interlocked.Increment(ref _transitions);
                break;
        }
    }

    internal void Write(PrometheusText text)
    {
        text.Family("kalki_alerts_total", "counter", "Alerts evaluated by the control plane, by alert type (aggregated alerts count as many as they stand for).");
        foreach (var (type, n) in _alerts.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            text.Sample("kalki_alerts_total", n, ("type", type));
        }

        text.Family("kalki_transitions_total", "counter", "Security-state changes whose new chain is in force.");
        text.Sample("kalki_transitions_total", Interlocked.Read(ref _transitions));
        text.Family("kalki_reaction_seconds", "histogram", "Time from the alert's frame to the new chain in force, per state change.");
        long cumulative = 0;
        for (int i = 0; i < ReactionBuckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _buckets[i]);
            text.Sample("kalki_reaction_seconds_bucket", cumulative, ("le", ReactionBuckets[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        }

        cumulative += Interlocked.Read(ref _buckets[^1]);
        text.Sample("kalki_reaction_seconds_bucket", cumulative, ("le", "+Inf"));
        text.Sample("kalki_reaction_seconds_sum", Interlocked.Read(ref _reactionMicrosSum) / 1e6);
        text.Sample("kalki_reaction_seconds_count", cumulative);
    }
}
