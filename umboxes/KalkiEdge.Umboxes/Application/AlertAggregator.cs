namespace KalkiEdge.Umboxes.Application;

/// <summary>Per-source alert aggregation state (see <see cref="AlertAggregator"/>).</summary>
internal struct AlertAggregatorState
{
    public bool Alerted;

    /// <summary>Frame time of the last alert raised.</summary>
    public long LastAlert;

    /// <summary>Frame time of the last occurrence, raised or not.</summary>
    public long LastOccurrence;

    /// <summary>Occurrences since the last alert, not yet reported.</summary>
    public int Pending;
}

/// <summary>
/// "Alert once per source per window, with a count": every occurrence (an event that would deserve an alert:
/// a request with default credentials, a SYN that keeps a source over its threshold, ...) is offered here;
/// the first one raises, those within the same window are counted, and the next alert after the window
/// carries the number of occurrences it stands for (itself plus those suppressed) — the meaning of
/// <c>Alert.Count</c> that policies sum. Pending occurrences of a burst that ended (none for a whole window)
/// are forgotten rather than added to the first alert of an unrelated later burst, so counts stay honest in
/// time; this differs from Common.AlertGate, which carries them over. A clock stepping backwards (spliced
/// captures) opens a new window.
/// </summary>
internal static class AlertAggregator
{
    /// <summary>Accounts one occurrence; returns the count to raise an alert with now, or 0 for none.</summary>
    public static int Occurred(ref AlertAggregatorState state, long now, long windowMicros)
    {
        if (state.Alerted && !Within(state.LastOccurrence, now, windowMicros))
        {
            state.Pending = 0;
        }

        state.LastOccurrence = now;
        if (state.Alerted && Within(state.LastAlert, now, windowMicros))
        {
            if (state.Pending < int.MaxValue)
            {
                state.Pending++;
            }

            return 0;
        }

        int count = state.Pending + 1;
        state.Alerted = true;
        state.LastAlert = now;
        state.Pending = 0;
        return count;
    }

    private static bool Within(long since, long now, long windowMicros) => now >= since && now - since < windowMicros;
}
