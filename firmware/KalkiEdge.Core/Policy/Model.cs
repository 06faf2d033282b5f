namespace KalkiEdge.Core.Policy;

/// <summary>How the terms of a condition combine.</summary>
public enum Combine
{
    All,
    Any,
}

/// <summary>A sensor (environment variable) of a device type.</summary>
public sealed record SensorDef(string Name, ValueKind Kind, SourceSpan At);

/// <summary>A command a device type accepts (sent by the telemetry/IoT interface).</summary>
public sealed record CommandDef(string Name, SourceSpan At);

/// <summary>The chain (μmbox image) a device of this type runs in a given state.</summary>
public sealed record StateChain(string State, string Image, SourceSpan At);

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

/// <summary>A telemetry alert condition: raises <see cref="AlertType"/> when its comparisons hold.</summary>
public sealed record TelemetryAlertCondition(string AlertType, Combine Combine, IReadOnlyList<EvComparison> Terms, SourceSpan At);

/// <summary>
/// The alert part of a rule's condition: alert types with minimum counts inside the rule's window, combined with
/// AND/OR to any depth.
/// </summary>
public abstract record AlertExpr(SourceSpan At)
{
    /// <summary>Every alert type this expression mentions: only these can make the rule true.</summary>
    public abstract IEnumerable<AlertCount> Leaves();

    public abstract bool Holds(Func<string, long> count);
}

public sealed record AlertCount(string Type, long Min, SourceSpan At) : AlertExpr(At)
{
    public override IEnumerable<AlertCount> Leaves() => [this];

    public override bool Holds(Func<string, long> count) => count(Type) >= Min;

    public override string ToString() => $"{Type} >= {Min}";
}

public sealed record AlertCombination(Combine Combine, IReadOnlyList<AlertExpr> Items, SourceSpan At) : AlertExpr(At)
{
    public override IEnumerable<AlertCount> Leaves() => Items.SelectMany(i => i.Leaves());

    public override bool Holds(Func<string, long> count)
    {
        foreach (var item in Items)
        {
            bool holds = item.Holds(count);
            if (Combine == Combine.All && !holds)
            {
                return false;
            }

            if (Combine == Combine.Any && holds)
            {
                return true;
            }
        }

        return Combine == Combine.All;
    }

    public override string ToString() => $"{Combine.ToString().ToLowerInvariant()}(" + string.Join(", ", Items) + ")";
}

/// <summary>At least <see cref="Min"/> other members of the device's group (optionally of one type) are in <see cref="State"/>.</summary>
public sealed record GroupStateCondition(string? Type, string State, int Min, SourceSpan At);

/// <summary>Who receives a command.</summary>
public enum CommandTarget
{
    /// <summary>The device whose rule fired.</summary>
    Self,

    /// <summary>The other members of its group of type <see cref="CommandAction.MemberType"/>.</summary>
    Group,
}

public sealed record CommandAction(string Command, CommandTarget Target, string? MemberType, SourceSpan At);

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

/// <summary>A device-type pack: everything the control plane needs to police one family of devices.</summary>
public sealed record DeviceTypePack(
    string Name,
    string Description,
    IReadOnlyList<SensorDef> Sensors,
    IReadOnlyList<CommandDef> Commands,
    IReadOnlyList<string> AlertTypes,
    IReadOnlyList<string> States,
    string Initial,
    IReadOnlyList<StateChain> Chains,
    IReadOnlyList<TelemetryAlertCondition> TelemetryAlerts,
    IReadOnlyList<PolicyRule> Rules,
    long DefaultSamplingIntervalMicros,
    SourceSpan At)
{
    public static readonly IReadOnlyList<string> DefaultStates = ["Normal", "Suspicious", "Attack"];

    public string? ImageFor(string state) => Chains.FirstOrDefault(c => c.State == state)?.Image;

    public SensorDef? Sensor(string name) => Sensors.FirstOrDefault(s => s.Name == name);

    /// <summary>Built-in alert types plus this pack's own.</summary>
    public bool KnowsAlertType(string type) => Core.AlertTypes.BuiltIn.Contains(type) || AlertTypes.Contains(type);
}
