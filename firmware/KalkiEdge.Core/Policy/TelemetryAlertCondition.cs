namespace KalkiEdge.Core.Policy;

/// <summary>A telemetry alert condition: raises <see cref="AlertType"/> when its comparisons hold.</summary>
public sealed record TelemetryAlertCondition(string AlertType, Combine Combine, IReadOnlyList<EvComparison> Terms, SourceSpan At);
