namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// "Alert once per key per window, with a count", for every element, network or application: every occurrence
/// (an event that would deserve an alert: a probe that keeps a source over the scan threshold, a packet over a
/// rate limit, a request with default credentials, ...) is offered here; the first one raises, those within the
/// same window are counted, and the next alert after the window carries the number of occurrences it stands for
/// (itself plus those suppressed): the meaning of <c>Alert.Count</c> that policies sum. Floods thus cost one
/// alert object per window. Pending occurrences of a burst that ended (none for a whole window) are forgotten
/// rather than added to the first alert of an unrelated later burst, so counts stay honest in time. A clock
/// stepping backwards (spliced captures) opens a new window. A mutable struct meant to live inside a table
/// value (update it by ref).
/// </summary>
public struct AlertAggregator
{
    private bool _alerted;
    private long _lastAlert;
    private long _lastOccurrence;
    private int _pending;

    /// <summary>Occurrences counted but not yet reported in an alert.</summary>
    public readonly int Pending => _pending;

    /// <summary>Accounts one occurrence; returns the count to raise an alert with now, or 0 for none.</summary>
    public int Occurred(long now, long windowMicros)
    {
        if (_alerted && !Within(_lastOccurrence, now, windowMicros))
        {
            _pending = 0;
        }

        _lastOccurrence = now;
        if (_alerted && Within(_lastAlert, now, windowMicros))
        {
            if (_pending < int.MaxValue)
            {
                _pending++;
            }

            return 0;
        }

        int count = _pending + 1;
        _alerted = true;
        _lastAlert = now;
        _pending = 0;
        return count;
    }

    private static bool Within(long since, long now, long windowMicros) => now >= since && now - since < windowMicros;
}
