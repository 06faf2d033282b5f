namespace KalkiEdge.Core.Policy;

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

    /// <summary>The monitor its devices get unless their own configuration names one; null: none declared.</summary>
    public PackMonitor? Monitor { get; init; }

    public string? ImageFor(string state) => Chains.FirstOrDefault(c => c.State == state)?.Image;

    public SensorDef? Sensor(string name) => Sensors.FirstOrDefault(s => s.Name == name);

    /// <summary>Built-in alert types plus this pack's own.</summary>
    public bool KnowsAlertType(string type) => Core.AlertTypes.BuiltIn.Contains(type) || AlertTypes.Contains(type);
}
