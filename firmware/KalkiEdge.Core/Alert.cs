namespace KalkiEdge.Core;

/// <summary>Where an alert came from (a μmbox, telemetry, the platform, the operator).</summary>
public enum AlertSource
{
    Umbox,
    Telemetry,
    Platform,
    Operator,
}

/// <summary>
/// An alert: {type, device, source, time, info}. <see cref="Element"/> names the μmbox element that raised it,
/// when there is one. Time is microseconds since the Unix epoch, taken from the stimulus (packet or reading).
/// </summary>
public sealed record Alert(string Type, string Device, AlertSource Source, long TimeMicros, string Info)
{
    public string? Element { get; init; }

    /// <summary>IPS rule id, for <c>ips</c> alerts.</summary>
    public long? Sid { get; init; }

    /// <summary>Index of the stimulus frame in its source (1-based), when known; ties alerts to packets.</summary>
    public long? FrameNumber { get; init; }

    /// <summary>
    /// How many identical alerts this one stands for. Floods are aggregated at the source so the control plane
    /// sees one alert with a count rather than one object per packet.
    /// </summary>
    public int Count { get; init; } = 1;
}

/// <summary>Receives alerts. Implementations must be cheap and must never block the data plane.</summary>
public interface IAlertSink
{
    void Raise(Alert alert);
}
