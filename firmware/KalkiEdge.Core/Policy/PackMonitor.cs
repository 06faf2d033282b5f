namespace KalkiEdge.Core.Policy;

/// <summary>
/// The monitor a pack declares for its devices (<c>monitor:</c> in the pack): the family, its settings (poll path,
/// topic, port, ...), which JSON field feeds which pack sensor, and the commands it sends. A device added at run time
/// gets it; a kalki.yaml device's own <c>monitor:</c> replaces it. Its places are the pack file's, so a family's
/// errors point there. It polls on the pack's <c>sampling:</c> interval.
/// </summary>
public sealed record PackMonitor(string Family, SourceSpan At)
{
    /// <summary>The topic placeholder replaced by each device's name (one pack, a topic per device).</summary>
    public const string DevicePlaceholder = "{device}";

    public IReadOnlyList<PackMonitorSetting> Settings { get; init; } = [];

    public IReadOnlyList<SensorField> Fields { get; init; } = [];

    public IReadOnlyList<CommandRoute> Commands { get; init; } = [];

    public SourceSpan FamilyAt { get; init; } = At;

    public SourceSpan FieldsAt { get; init; } = At;

    public SourceSpan CommandsAt { get; init; } = At;
}

/// <summary>One scalar setting of a pack's monitor (<c>path: /status</c>), as written.</summary>
public sealed record PackMonitorSetting(string Key, string Value, SourceSpan At);

/// <summary>A pack sensor fed from a dotted JSON field of the device's answer or message.</summary>
public sealed record SensorField(string Sensor, string Field, SourceSpan At);

/// <summary>A pack command the monitor sends; <see cref="Path"/> where the family sends each to its own path.</summary>
public sealed record CommandRoute(string Command, string? Path, SourceSpan At);
