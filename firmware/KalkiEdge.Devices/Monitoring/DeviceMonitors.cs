using System.Collections.Concurrent;
using System.Diagnostics;
using KalkiEdge.ControlPlane;
using KalkiEdge.Devices.Camera;
using KalkiEdge.Devices.Http;

namespace KalkiEdge.Devices.Monitoring;

/// <summary>Limits of the monitors: how many polls and commands at once, how commands are retried.</summary>
public sealed record MonitorOptions
{
    public int MaxConcurrentPolls { get; init; } = 64;

    public int CommandAttempts { get; init; } = 3;

    public TimeSpan CommandBackoff { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Commands queued or being sent; beyond it a command fails at once (reported, never queued without bound).</summary>
    public int MaxPendingCommands { get; init; } = 256;

    /// <summary>How often the schedule is looked at (a rule's new sampling interval takes effect within it).</summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Where cameras deliver motion e-mail and HTTP events (null: no receivers); opened when a camera is monitored.</summary>
    public CameraEventEndpoints? CameraEvents { get; init; }
}

/// <summary>Where the camera event receivers listen (port 0: any free port).</summary>
public sealed record CameraEventEndpoints(System.Net.IPAddress Address, int SmtpPort, int HttpPort)
{
    public SmtpLimits Smtp { get; init; } = new();
}

/// <summary>
/// Polls every monitored device on its own sampling interval (read from the control plane at each tick, so a rule
/// that changes it takes effect at once) and sends the commands rules issue. Readings go to
/// <see cref="SecurityController.Telemetry"/> (the <c>ITelemetrySink</c>); a failed poll gives no reading, so a device that stops answering is
/// declared unavailable by the watchdog (counted from the start, so one that never answers is too). Each poll and
/// each command attempt ends within its monitor's timeout; a command is retried a bounded number of times, then
/// reported (<c>command-failed</c> alert and audit entry). Nothing here runs on the control thread or the frame path.
/// It owns <see cref="DeviceHttp"/> and disposes it.
/// </summary>
public sealed class DeviceMonitors : ICommandSender, IDisposable
{
    private readonly SecurityController _control;
    private readonly IControlClock _clock;
    private readonly DeviceHttp _http;
    private readonly MonitorOptions _options;
    // Concurrent: the registry adds and removes devices at run time while the schedule reads it.
    private readonly ConcurrentDictionary<string, MonitoredDevice> _devices;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private int _polling;
    private int _pendingCommands;
    private Thread? _loop;
    private long _sent;
    private long _failed;
    private long _skippedSamples;
    private long _unreportedSkips;
    private long _lateReportedTicks;
    private static readonly TimeSpan LateReportEvery = TimeSpan.FromSeconds(10);

    public DeviceMonitors(SecurityController control, IControlClock clock, DeviceHttp http, IEnumerable<MonitoredDevice> devices, Action<string> log, MonitorOptions? options = null)
    {
        _control = control;
        _clock = clock;
        _http = http;
        _options = options ?? new MonitorOptions();
        _devices = new(devices.Select(d => KeyValuePair.Create(d.Name, d)), StringComparer.Ordinal);
        _log = log;
    }

    public ICollection<MonitoredDevice> Devices => _devices.Values;

    /// <summary>The camera event receivers, once a camera is monitored (null before, or when none are configured).</summary>
    public CameraEventReceivers? CameraReceivers { get; private set; }

    /// <summary>Commands delivered, and commands that failed after their retries.</summary>
    public long CommandsSent => Interlocked.Read(ref _sent);

    public long CommandsFailed => Interlocked.Read(ref _failed);

    /// <summary>Sampling intervals skipped because polls started late (the appliance was busier than its monitors' schedule).</summary>
    public long SkippedSamples => Interlocked.Read(ref _skippedSamples);

    /// <summary>Starts polling: from now on each device is expected to answer within its sampling interval.</summary>
    public void Start()
    {
        foreach (var d in _devices.Values)
        {
            Begin(d);
        }

        _loop = new Thread(Schedule) { IsBackground = true, Name = "device-monitors" };
        _loop.Start();
    }

    /// <summary>
    /// Monitors a device added at run time (or replaces the monitor of one edited): from now on it is polled and
    /// expected to answer within its sampling interval. Safe from any thread.
    /// </summary>
    public void Add(MonitoredDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        Remove(device.Name);
        if (!_devices.TryAdd(device.Name, device))
        {
            throw new ArgumentException($"device '{device.Name}' is monitored twice", nameof(device));
        }

        if (_loop is not null)
        {
            Begin(device);
        }

        _log($"monitor {device.Name}: started ({device.Monitor.GetType().Name})");
    }

    /// <summary>Stops monitoring a device (deleted at run time): no poll starts after this returns, its connection closes.</summary>
    public bool Remove(string name)
    {
        if (!_devices.TryRemove(name, out var d))
        {
            return false;
        }

        d.Stop();
        _log($"monitor {name}: stopped");
        return true;
    }

    /// <summary>The monitored device at <paramref name="address"/> that pushes events (cameras), or null.</summary>
    public MonitoredDevice? EventSource(System.Net.IPAddress address)
    {
        foreach (var d in _devices.Values)
        {
            if (d.Monitor.AcceptsEvents && d.Monitor.Target.Address.Equals(address))
            {
                return d;
            }
        }

        return null;
    }

    /// <summary>A device's pushed readings (camera event, MQTT message): to telemetry, and it counts as answering.</summary>
    public void Deliver(MonitoredDevice d, IReadOnlyList<Reading> readings)
    {
        if (!_devices.TryGetValue(d.Name, out var current) || current != d)
        {
            return; // removed meanwhile: its readings go nowhere
        }

        var at = _clock.NowMicros;
        foreach (var r in readings)
        {
            _control.Telemetry.Reading(d.Name, r.Sensor, r.Value, at);
        }

        Report(d, d.EndPush(null));
    }

    /// <summary>A pushed message that could not be used: its status is the device's last error, logged once per spell.</summary>
    public void Reject(MonitoredDevice d, string why) => Report(d, d.EndPush(why), why);

    private void Begin(MonitoredDevice d)
    {
        _control.Telemetry.Expect(d.Name, _clock.NowMicros);
        if (d.Monitor.AcceptsEvents && _options.CameraEvents is { } endpoints && CameraReceivers is null)
        {
            lock (_stop)
            {
                CameraReceivers ??= CameraEventReceivers.Open(this, endpoints, _log);
            }
        }

        d.Running = Task.Run(() => RunDevice(d));
    }

    private async Task RunDevice(MonitoredDevice d)
    {
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, d.Stopping);
            await d.Monitor.RunAsync(new PushSink(this, d), stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        catch (Exception e) when (Failure(e, d.Monitor.Target.Timeout) is { } why)
        {
            Reject(d, why);
        }
    }

    /// <summary>Queues a rule's command (control thread): returns at once; the outcome is reported, never awaited.</summary>
    public void Send(string device, string command)
    {
        if (!_devices.TryGetValue(device, out var d))
        {
            Fail(device, command, "the device has no monitor to send it");
            return;
        }

        if (!d.Monitor.Commands.Contains(command))
        {
            Fail(device, command, $"its monitor cannot send it (it sends: {string.Join(", ", d.Monitor.Commands)})");
            return;
        }

        if (Interlocked.Increment(ref _pendingCommands) > _options.MaxPendingCommands)
        {
            Interlocked.Decrement(ref _pendingCommands);
            Fail(device, command, $"more than {_options.MaxPendingCommands} commands are pending");
            return;
        }

        _ = Task.Run(() => SendWithRetries(d, command));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _loop?.Join(TimeSpan.FromSeconds(5));
        CameraReceivers?.Dispose();
        foreach (var d in _devices.Values)
        {
            d.Stop();
        }

        _http.Dispose();
        _stop.Dispose();
    }

    private void Schedule()
    {
        var due = new List<(long Last, MonitoredDevice Device)>();
        while (!_stop.IsCancellationRequested)
        {
            StartDuePolls(_clock.NowMicros, due);
            _stop.Token.WaitHandle.WaitOne(_options.Tick);
        }
    }

    /// <summary>
    /// Starts the polls that are due, the longest-waiting first, as far as the concurrency limit allows. When the
    /// appliance is too busy to poll every device on time, each device is polled late by about as much as any other
    /// (none starves while others are polled on time), and every sampling interval skipped is counted.
    /// </summary>
    private void StartDuePolls(long now, List<(long Last, MonitoredDevice Device)> due)
    {
        due.Clear();
        foreach (var d in _devices.Values)
        {
            if (d.Monitor.Polls && _control.Devices.TryGetValue(d.Name, out var controlled) && d.IsDue(now, controlled.SamplingIntervalMicros))
            {
                due.Add((d.LastPollMicros, d));
            }
        }

        due.Sort(static (a, b) => a.Last.CompareTo(b.Last));
        foreach (var (_, d) in due)
        {
            if (Volatile.Read(ref _polling) >= _options.MaxConcurrentPolls)
            {
                break;
            }

            if (!d.TryBeginPoll())
            {
                continue;
            }

            // Lateness in real time: the control clock follows frame time in replay and the benchmarks, and jumps.
            var started = Stopwatch.GetTimestamp();
            if (d.LastPollTicks != 0 && _control.Devices.TryGetValue(d.Name, out var controlled) && controlled.SamplingIntervalMicros > 0)
            {
                CountLate(d, (long)Stopwatch.GetElapsedTime(d.LastPollTicks, started).TotalMicroseconds / controlled.SamplingIntervalMicros - 1, started);
            }

            d.LastPollTicks = started;
            d.LastPollMicros = now;
            Interlocked.Increment(ref _polling);
            _ = Task.Run(() => Poll(d));
        }
    }

    /// <summary>
    /// A poll that starts one or more whole sampling intervals late skipped that many readings: counted, and said in the
    /// log at most once per <see cref="LateReportEvery"/> with the count since the last report.
    /// </summary>
    private void CountLate(MonitoredDevice d, long skipped, long nowTicks)
    {
        if (skipped <= 0)
        {
            return;
        }

        Interlocked.Add(ref _skippedSamples, skipped);
        var unreported = Interlocked.Add(ref _unreportedSkips, skipped);
        if (_lateReportedTicks == 0 || Stopwatch.GetElapsedTime(_lateReportedTicks, nowTicks) >= LateReportEvery)
        {
            _lateReportedTicks = nowTicks;
            Interlocked.Add(ref _unreportedSkips, -unreported);
            _log($"device monitors: behind schedule: {unreported} sampling intervals skipped (e.g. {d.Name}); polls are {_options.MaxConcurrentPolls} at a time, the longest-waiting first");
        }
    }

    private async Task Poll(MonitoredDevice d)
    {
        string? error = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, d.Stopping);
            timeout.CancelAfter(d.Monitor.Target.Timeout);
            var readings = await d.Monitor.PollAsync(_http, timeout.Token).ConfigureAwait(false);
            var at = _clock.NowMicros;
            foreach (var r in readings)
            {
                _control.Telemetry.Reading(d.Name, r.Sensor, r.Value, at);
            }
        }
        catch (OperationCanceledException) when (d.Stopping.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            error = "monitor stopped";
        }
        catch (Exception e) when (Failure(e, d.Monitor.Target.Timeout) is { } why)
        {
            error = why;
        }
        finally
        {
            var was = d.EndPoll(error);
            Interlocked.Decrement(ref _polling);
            Report(d, was, error, "poll failed");
        }
    }

    /// <summary>
    /// Logs the device's first answer, and the start and the end of a failure spell (not every failure: a dead device
    /// is not a log flood).
    /// </summary>
    private void Report(MonitoredDevice d, string? was, string? error = null, string what = "refused a message")
    {
        if (error is not null && was is null)
        {
            _log($"monitor {d.Name}: {what}: {error}");
        }
        else if (error is null && d.FirstAnswer())
        {
            _log($"monitor {d.Name}: answering");
        }
        else if (error is null && was is not null)
        {
            _log($"monitor {d.Name}: answering again");
        }
    }

    private async Task SendWithRetries(MonitoredDevice d, string command)
    {
        try
        {
            string? why = null;
            for (int attempt = 1; attempt <= _options.CommandAttempts && !_stop.IsCancellationRequested; attempt++)
            {
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    timeout.CancelAfter(d.Monitor.Target.Timeout);
                    await d.Monitor.SendAsync(_http, command, timeout.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _sent);
                    _log($"monitor {d.Name}: sent {command}" + (attempt > 1 ? $" (attempt {attempt})" : ""));
                    return;
                }
                catch (Exception e) when (Failure(e, d.Monitor.Target.Timeout) is { } failure)
                {
                    why = failure;
                }

                if (attempt < _options.CommandAttempts)
                {
                    await Task.Delay(_options.CommandBackoff * attempt, _stop.Token).ConfigureAwait(false);
                }
            }

            Fail(d.Name, command, $"{why ?? "stopped"} ({_options.CommandAttempts} attempts)");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Shutting down: the command log already holds the command.
        }
        finally
        {
            Interlocked.Decrement(ref _pendingCommands);
        }
    }

    private void Fail(string device, string command, string why)
    {
        Interlocked.Increment(ref _failed);
        _log($"monitor {device}: command {command} failed: {why}");
        _control.CommandFailed(device, command, why);
    }

    /// <summary>What went wrong, for the failures a device can cause; null (rethrown) for anything else.</summary>
    private string? Failure(Exception e, TimeSpan timeout) => e switch
    {
        DeviceProtocolException p => p.Message,
        OperationCanceledException when !_stop.IsCancellationRequested => $"no answer within {timeout.TotalMilliseconds:0} ms",
        System.Net.Sockets.SocketException s => $"connection failed: {s.SocketErrorCode}",
        IOException io => $"connection failed: {io.Message}",
        HttpRequestException h => $"HTTP error: {h.Message}",
        _ => null,
    };

    private sealed class PushSink(DeviceMonitors monitors, MonitoredDevice device) : IPushSink
    {
        public System.Net.IPAddress? LocalAddress => monitors._http.LocalAddress;

        public void Deliver(IReadOnlyList<Reading> readings) => monitors.Deliver(device, readings);

        public void Reject(string why) => monitors.Reject(device, why);
    }
}
