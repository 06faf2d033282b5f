namespace KalkiEdge.Devices.Monitoring;

/// <summary>One device under a monitor: its poll schedule, what its last poll or message said, and its stop signal.</summary>
// The stop source has no timer and its wait handle is never asked for: it holds nothing to release, and a poll in
// flight may still read its token after the device is removed.
#pragma warning disable CA1001
public sealed class MonitoredDevice(string name, DeviceMonitor monitor)
#pragma warning restore CA1001
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _status = new();
    private int _inFlight;
    private int _answered;
    private long _polls;
    private long _failures;
    private string? _lastError;

    public string Name { get; } = name;

    public DeviceMonitor Monitor { get; } = monitor;

    /// <summary>Control-clock time the last poll started (the next is due one sampling interval later).</summary>
    public long LastPollMicros { get; internal set; } = long.MinValue;

    /// <summary>When the last poll started in real time (Stopwatch timestamp; 0: never): how late the next one is.</summary>
    internal long LastPollTicks { get; set; }

    /// <summary>Never polled, or the interval has passed since the last poll started.</summary>
    public bool IsDue(long nowMicros, long intervalMicros) => LastPollMicros == long.MinValue || nowMicros - LastPollMicros >= intervalMicros;

    /// <summary>Polls made and messages received (pushed families).</summary>
    public long Polls => Interlocked.Read(ref _polls);

    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Null while polls and messages succeed; else why the last one failed (no credentials in it).</summary>
    public string? LastError
    {
        get
        {
            lock (_status)
            {
                return _lastError;
            }
        }
    }

    /// <summary>Cancelled when the device stops being monitored: its poll in flight and its connection end.</summary>
    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>The family's own connection (<see cref="DeviceMonitor.RunAsync"/>), while it runs.</summary>
    internal Task? Running { get; set; }

    /// <summary>True once: for the first poll or message that succeeded.</summary>
    internal bool FirstAnswer() => Interlocked.Exchange(ref _answered, 1) == 0;

    /// <summary>At most one poll per device at a time: a slow device is never polled twice over.</summary>
    internal bool TryBeginPoll() => Interlocked.CompareExchange(ref _inFlight, 1, 0) == 0;

    /// <summary>Records a poll's outcome; returns the error before it (a spell of failures is logged once).</summary>
    internal string? EndPoll(string? error)
    {
        var was = EndPush(error);
        Volatile.Write(ref _inFlight, 0);
        return was;
    }

    /// <summary>Records a pushed message's outcome; returns the error before it.</summary>
    internal string? EndPush(string? error)
    {
        Interlocked.Increment(ref _polls);
        if (error is not null)
        {
            Interlocked.Increment(ref _failures);
        }

        lock (_status)
        {
            var was = _lastError;
            _lastError = error;
            return was;
        }
    }

    internal void Stop()
    {
        try
        {
            _stopping.Cancel();
            Running?.Wait(TimeSpan.FromSeconds(5));
            (Monitor as IDisposable)?.Dispose();
        }
        catch (AggregateException)
        {
            // Its failure was reported when it happened.
        }
        catch (ObjectDisposedException)
        {
            // Stopped twice.
        }
    }
}
