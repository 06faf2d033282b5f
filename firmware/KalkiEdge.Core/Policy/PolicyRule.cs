namespace KalkiEdge.Core.Policy;

/// <summary>
/// A policy rule. Fires for a device in one of <see cref="From"/> when the alert condition holds over alerts in the
/// last <see cref="WindowMicros"/> (and the optional EV and group conditions hold). Highest priority wins; ties
/// between rules that can fire on the same input are rejected by the checker. <see cref="SamplingIntervalMicros"/>
/// sets the device's telemetry sampling interval (time between readings) — an interval, not a rate factor.
/// </summary>
public sealed record PolicyRule(
    string Name,
    IReadOnlyList<string> From,
    string To,
    int Priority,
    long WindowMicros,
    AlertExpr When,
    IReadOnlyList<EvComparison> Ev,
    IReadOnlyList<GroupStateCondition> Group,
    IReadOnlyList<CommandAction> Commands,
    long? SamplingIntervalMicros,
    SourceSpan At);
