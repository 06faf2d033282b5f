using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.Store;

namespace KalkiEdge.ControlPlane.Telemetry;

/// <summary>
/// The control plane's telemetry: each reading is stored, checked against the device's pack conditions (a condition
/// that holds raises its alert) and feeds the device's availability watch; the watchdog raises
/// <c>device-unavailable</c> for a watched device whose readings stopped. It shares the controller's evaluation
/// lock, so a rule never sees a reading half recorded.
/// </summary>
public sealed class DeviceTelemetry : ITelemetrySink
{
    private readonly Lock _sync;
    private readonly IReadOnlyDictionary<string, ControlledDevice> _devices;
    private readonly StoreWriter? _writer;
    private readonly AlertQueue _alerts;
    private readonly ControlPlaneOptions _options;
    private long _nextWatchdog;

    internal DeviceTelemetry(Lock sync, IReadOnlyDictionary<string, ControlledDevice> devices, StoreWriter? writer, AlertQueue alerts, ControlPlaneOptions options)
    {
        _sync = sync;
        _devices = devices;
        _writer = writer;
        _alerts = alerts;
        _options = options;
    }

    public void Reading(string device, string sensor, EvValue value, long timeMicros)
    {
        lock (_sync)
        {
            if (!_devices.TryGetValue(device, out var d))
            {
                return;
            }

            _writer?.Telemetry(new TelemetryRecord(device, sensor, timeMicros, value));
            Watch(d, timeMicros).OnReading(timeMicros);
            foreach (var type in d.Telemetry.OnReading(sensor, value))
            {
                _alerts.Raise(new Alert(type, device, AlertSource.Telemetry, timeMicros, $"telemetry condition on {sensor} (latest {value})"));
            }
        }
    }

    public void Expect(string device, long sinceMicros)
    {
        lock (_sync)
        {
            if (_devices.TryGetValue(device, out var d))
            {
                Watch(d, sinceMicros);
            }
        }
    }

    /// <summary>A rule changed the device's sampling interval: its watch counts missed intervals of the new one.</summary>
    internal static void SamplingChanged(ControlledDevice device, long intervalMicros)
    {
        device.SamplingIntervalMicros = intervalMicros;
        device.Watch?.SamplingIntervalMicros = intervalMicros;
    }

    /// <summary>Raises <c>device-unavailable</c> for watched devices whose readings stopped (under the evaluation lock).</summary>
    internal void Watchdog(long now)
    {
        if (now < _nextWatchdog)
        {
            return;
        }

        _nextWatchdog = now + _options.WatchdogPeriodMicros;
        foreach (var (_, d) in _devices)
        {
            if (d.Watch?.CheckUnavailable(now) == true)
            {
                _alerts.Raise(new Alert(AlertTypes.DeviceUnavailable, d.Name, AlertSource.Platform, now,
                    $"no telemetry since {d.Watch.LastReadingMicros} (sampling interval {Duration.Format(d.SamplingIntervalMicros)})"));
            }
        }
    }

    private AvailabilityWatch Watch(ControlledDevice d, long sinceMicros) =>
        d.Watch ??= new AvailabilityWatch(d.SamplingIntervalMicros, _options.UnavailableAfterIntervals, sinceMicros);
}
