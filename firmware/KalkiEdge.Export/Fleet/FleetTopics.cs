namespace KalkiEdge.Export.Fleet;

/// <summary>
/// The topics of one appliance, all under <c>ROOT/ID/</c>: what it publishes (events, summaries, retained state) and
/// where operators' commands arrive and are answered. The last level of a command topic is the operator's
/// identity; the broker's ACL must let only that broker user write there (<c>pattern write ROOT/+/commands/%u</c>).
/// </summary>
public sealed class FleetTopics(string root, string applianceId)
{
    public string Base { get; } = $"{root}/{applianceId}";

    /// <summary>Retained: <c>online</c> while connected, <c>offline</c> after a clean stop or as the broker's last will.</summary>
    public string Status => $"{Base}/status";

    /// <summary>Retained: counts, states and the publisher's own queue, every summary interval.</summary>
    public string Health => $"{Base}/health";

    /// <summary>Retained: every device with its pack, state and chain, after each change.</summary>
    public string Devices => $"{Base}/devices";

    /// <summary>EVE JSON, event_type alert.</summary>
    public string Alerts => $"{Base}/alerts";

    /// <summary>EVE JSON, event_type kalki_transition.</summary>
    public string Transitions => $"{Base}/transitions";

    /// <summary>EVE JSON, event_type kalki_pairing.</summary>
    public string Pairing => $"{Base}/pairing";

    /// <summary>Per-device traffic and alert counts of one summary interval.</summary>
    public string Telemetry => $"{Base}/telemetry";

    /// <summary>What the appliance subscribes to: one command topic per operator.</summary>
    public string CommandFilter => $"{Base}/commands/+";

    public string Reply(string operatorId) => $"{Base}/replies/{operatorId}";

    /// <summary>The operator a command topic names, or null when the topic is not one of this appliance's command topics.</summary>
    public string? OperatorOf(string topic)
    {
        var prefix = $"{Base}/commands/";
        return topic.StartsWith(prefix, StringComparison.Ordinal) && topic.Length > prefix.Length && topic.IndexOf('/', prefix.Length) < 0
            ? topic[prefix.Length..]
            : null;
    }
}
