using KalkiEdge.ControlPlane;
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
    private readonly Dictionary<string, MonitoredDevice> _devices;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private int _polling;
    private int _pendingCommands;
    private Thread? _loop;
    private long _sent;
    private long _failed;

    public DeviceMonitors(SecurityController control, IControlClock clock, DeviceHttp http, IEnumerable<MonitoredDevice> devices, Action<string> log, MonitorOptions? options = null)
    {
        _control = control;
        _clock = clock;
        _http = http;
        _options = options ?? new MonitorOptions();
        _devices = devices.ToDictionary(d => d.Name, StringComparer.Ordinal);
        _log = log;
    }

    public IReadOnlyCollection<MonitoredDevice> Devices => _devices.Values;

    /// <summary>Commands delivered, and commands that failed after their retries.</summary>
    public long CommandsSent => Interlocked.Read(ref _sent);

    public long CommandsFailed => Interlocked.Read(ref _failed);

    /// <summary>Starts polling: from now on each device is expected to answer within its sampling interval.</summary>
    public void Start()
    {
        var now = _clock.NowMicros;
        foreach (var d in _devices.Values)
        {
            _control.Telemetry.Expect(d.Name, now);
        }

        _loop = new Thread(Schedule) { IsBackground = true, Name = "device-monitors" };
        _loop.Start();
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
        _http.Dispose();
        _stop.Dispose();
    }

    private void Schedule()
    {
        while (!_stop.IsCancellationRequested)
        {
            var now = _clock.NowMicros;
            foreach (var d in _devices.Values)
            {
                if (Volatile.Read(ref _polling) >= _options.MaxConcurrentPolls)
                {
                    break;
                }

                if (!_control.Devices.TryGetValue(d.Name, out var controlled) || !d.IsDue(now, controlled.SamplingIntervalMicros) || !d.TryBeginPoll())
                {
                    continue;
                }

                d.LastPollMicros = now;
                Interlocked.Increment(ref _polling);
                _ = Task.Run(() => Poll(d));
            }

            _stop.Token.WaitHandle.WaitOne(_options.Tick);
        }
    }

    private async Task Poll(MonitoredDevice d)
    {
        string? error = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(d.Monitor.Target.Timeout);
            var readings = await d.Monitor.PollAsync(_http, timeout.Token).ConfigureAwait(false);
            var at = _clock.NowMicros;
            foreach (var r in readings)
            {
                _control.Telemetry.Reading(d.Name, r.Sensor, r.Value, at);
            }
        }
        catch (Exception e) when (Failure(e, d.Monitor.Target.Timeout) is { } why)
        {
            error = why;
        }
        finally
        {
            var was = d.LastError;
            d.EndPoll(error);
            Interlocked.Decrement(ref _polling);
            if (error is not null && was is null)
            {
                _log($"monitor {d.Name}: poll failed: {error}");
            }
            else if (error is null && was is not null)
            {
                _log($"monitor {d.Name}: answering again");
            }
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
}
