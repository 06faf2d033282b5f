namespace KalkiEdge.Core;

/// <summary>
/// A security-state change with its reaction trace (stage log). Timestamps are microseconds on one clock:
/// STIMULUS (the packet/reading that raised the alert), TRIGGER (rule fired), REACT (deployment started),
/// FINISH (new chain in force).
/// </summary>
public sealed record TransitionEvent(
    string Device,
    string From,
    string To,
    string Rule,
    long StimulusMicros,
    long TriggerMicros,
    long ReactMicros,
    long FinishMicros)
{
    public long ReactionMicros => FinishMicros - StimulusMicros;

    /// <summary>Image whose chain is now in force.</summary>
    public string? Image { get; init; }
}

/// <summary>Everything the appliance reports as it runs: the replay JSON lines, the console, the dashboard.</summary>
public interface IApplianceObserver
{
    void OnAlert(Alert alert);

    void OnTransition(TransitionEvent transition);

    /// <summary>A frame that could not be decoded: counted and dropped, never forwarded.</summary>
    void OnMalformed(long frameNumber, string device, string reason);

    void OnUmboxLog(string device, string element, long timeMicros, string message);
}
