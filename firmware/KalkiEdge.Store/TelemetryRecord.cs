using KalkiEdge.Core.Policy;

namespace KalkiEdge.Store;

/// <summary>A telemetry reading (typed EV value).</summary>
public sealed record TelemetryRecord(string Device, string Sensor, long TimeMicros, EvValue Value);
