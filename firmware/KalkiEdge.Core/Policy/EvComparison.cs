namespace KalkiEdge.Core.Policy;

/// <summary>
/// A comparison of an environment variable against a constant. For telemetry alert conditions the value is first
/// aggregated over the last <see cref="Last"/> readings; with <see cref="Aggregate.None"/> every one of them must
/// satisfy the comparison.
/// </summary>
public sealed record EvComparison(string Sensor, Comparison Op, EvValue Value, SourceSpan At, int Last = 1, Aggregate Aggregate = Aggregate.None);

/// <summary>How the last N readings are folded before comparing.</summary>
public enum Aggregate
{
    None,
    Sum,
    Average,
    Min,
    Max,
}
