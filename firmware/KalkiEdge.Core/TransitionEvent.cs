namespace KalkiEdge.Core;

/// <summary>
/// A security-state change with its reaction trace (stage log), as the control plane made it, the store commits it
/// and the observers report it. Timestamps are microseconds on one clock: STIMULUS (the packet/reading that raised
/// the alert), TRIGGER (rule fired), REACT (deployment started), FINISH (new chain in force).
/// </summary>
/// <param name="AlertType">The alert that made the rule fire.</param>
/// <param name="Image">The image whose chain is now in force (<c>block-all</c> when <paramref name="FailClosed"/>).</param>
public sealed record TransitionEvent(
    string Device,
    string From,
    string To,
    string Rule,
    string AlertType,
    string Image,
    string ChainText,
    bool FailClosed,
    long StimulusMicros,
    long TriggerMicros,
    long ReactMicros,
    long FinishMicros)
{
    public long ReactionMicros => FinishMicros - StimulusMicros;
}
