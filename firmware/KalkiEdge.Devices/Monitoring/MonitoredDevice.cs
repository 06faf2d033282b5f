namespace KalkiEdge.Devices.Monitoring;

/// <summary>One device under a monitor: its poll schedule and what its last poll said.</summary>
public sealed class MonitoredDevice(string name, DeviceMonitor monitor)
{
    private int _inFlight;
    private long _polls;
    private long _failures;

    public string Name { get; } = name;

    public DeviceMonitor Monitor { get; } = monitor;

    /// <summary>Control-clock time the last poll started (the next is due one sampling interval later).</summary>
    public long LastPollMicros { get; internal set; } = long.MinValue;

    /// <summary>Never polled, or the interval has passed since the last poll started.</summary>
    public bool IsDue(long nowMicros, long intervalMicros) => LastPollMicros == long.MinValue || nowMicros - LastPollMicros >= intervalMicros;

    public long Polls => Interlocked.Read(ref _polls);

    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Null while polls succeed; else why the last one failed (no credentials in it).</summary>
    public string? LastError { get; internal set; }

    /// <summary>At most one poll per device at a time: a slow device is never polled twice over.</summary>
    internal bool TryBeginPoll() => Interlocked.CompareExchange(ref _inFlight, 1, 0) == 0;

    internal void EndPoll(string? error)
    {
        Interlocked.Increment(ref _polls);
        if (error is not null)
        {
            Interlocked.Increment(ref _failures);
        }

        LastError = error;
        Volatile.Write(ref _inFlight, 0);
    }
}
