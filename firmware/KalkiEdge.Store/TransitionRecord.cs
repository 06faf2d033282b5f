namespace KalkiEdge.Store;

/// <summary>A committed transition with its reaction trace (times in microseconds on the control clock).</summary>
public sealed record TransitionRecord(
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
