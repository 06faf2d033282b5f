using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Application;

/// <summary>What a detector keeps per source besides its event times.</summary>
internal struct SourceState
{
    public AlertAggregator Alerts;

    /// <summary>Frames of this source are dropped until this time (0 = not blocked).</summary>
    public long BlockedUntil;
}

/// <summary>The outcome of recording one event of a source.</summary>
/// <param name="Slot">The source's slot in the detector's table (valid until the next Record).</param>
/// <param name="Over">The source is at or over its threshold within the window (an occurrence).</param>
/// <param name="AlertCount">Raise an alert with this count now; 0 = no alert.</param>
internal readonly record struct Detection(int Slot, bool Over, int AlertCount);
