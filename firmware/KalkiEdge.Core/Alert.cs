namespace KalkiEdge.Core;

/// <summary>Where an alert came from (a μmbox, telemetry, the platform, the operator).</summary>
public enum AlertSource
{
    Umbox,
    Telemetry,
    Platform,
    Operator,
}

/// <summary>What became of the packet that raised an alert (Suricata's <c>alert.action</c>).</summary>
public enum AlertAction : byte
{
    /// <summary>The alert has no packet (telemetry, operator, platform checks).</summary>
    None,

    /// <summary>The packet went on (forwarded).</summary>
    Allowed,

    /// <summary>The packet did not reach its destination (dropped, or answered by the chain instead).</summary>
    Blocked,
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

    /// <summary>IPS rule revision (<c>rev:</c>), 0 when the rule has none or the alert is not from a rule.</summary>
    public int Rev { get; init; }

    /// <summary>IPS rule class type (<c>classtype:</c>, e.g. <c>attempted-recon</c>), when the rule names one.</summary>
    public string? ClassType { get; init; }

    /// <summary>Index of the stimulus frame in its source (1-based), when known; ties alerts to packets.</summary>
    public long? FrameNumber { get; init; }

    /// <summary>
    /// How many identical alerts this one stands for. Floods are aggregated at the source so the control plane
    /// sees one alert with a count rather than one object per packet.
    /// </summary>
    public int Count { get; init; } = 1;

    /// <summary>The raising packet's addresses, for alerts raised by an IP packet.</summary>
    public FlowTuple? Flow { get; init; }

    /// <summary>The interface the raising packet came in on (live bridge), when known.</summary>
    public string? Interface { get; init; }

    /// <summary>What the chain did with the raising packet.</summary>
    public AlertAction Action { get; init; }
}

/// <summary>Receives alerts. Implementations must be cheap and must never block the data plane.</summary>
public interface IAlertSink
{
    void Raise(Alert alert);
}
