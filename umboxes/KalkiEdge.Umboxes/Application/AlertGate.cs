namespace KalkiEdge.Umboxes.Application;

/// <summary>Per-source alert aggregation state (see <see cref="AlertGate"/>).</summary>
internal struct AlertGateState
{
    /// <summary>No new alert for this source before this time (frame time, µs).</summary>
    public long QuietUntil;

    /// <summary>Events since the last alert, not yet reported.</summary>
    public int Unreported;

    /// <summary>True once this source has raised an alert.</summary>
    public bool Alerted;
}

/// <summary>
/// Turns "this source is over its threshold" into at most one alert per source per window. The alert's count
/// is the number of events it stands for: the events of the window that crossed the threshold, or, while an
/// attack goes on, every event since the previous alert. Events of a source that fell back under its
/// threshold after its window are forgotten (the next crossing starts afresh).
/// </summary>
internal static class AlertGate
{
    /// <summary>Accounts one event; returns the count to raise an alert with, or 0 for no alert now.</summary>
    /// <param name="over">Whether the source is over its threshold with this event.</param>
    /// <param name="crossingCount">Events in the window that crossed the threshold (the threshold itself).</param>
    public static int Account(ref AlertGateState state, bool over, long now, long windowMicros, int crossingCount)
    {
        if (state.Alerted && now < state.QuietUntil)
        {
            state.Unreported++;
            return 0;
        }

        if (!over)
        {
            state.Unreported = 0;
            state.Alerted = false;
            return 0;
        }

        int count = state.Alerted ? state.Unreported + 1 : crossingCount;
        state.Alerted = true;
        state.Unreported = 0;
        state.QuietUntil = now + windowMicros;
        return count;
    }
}
