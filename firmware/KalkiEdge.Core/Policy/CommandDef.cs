namespace KalkiEdge.Core.Policy;

/// <summary>A command a device type accepts (sent by the telemetry/IoT interface).</summary>
public sealed record CommandDef(string Name, SourceSpan At);
