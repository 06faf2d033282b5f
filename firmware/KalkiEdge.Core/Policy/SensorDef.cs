namespace KalkiEdge.Core.Policy;

/// <summary>A sensor (environment variable) of a device type.</summary>
public sealed record SensorDef(string Name, ValueKind Kind, SourceSpan At);
