using KalkiEdge.ControlPlane;
using KalkiEdge.ControlPlane.Telemetry;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Bme280;
using KalkiEdge.Devices.GpioInput;

namespace KalkiEdge.Devices.Onboard;

/// <summary>A sensor with the devices its readings go to and how often it is read.</summary>
public sealed record AttachedSensor(OnboardSensorSpec Spec, IReadOnlyList<string> Devices, long IntervalMicros);

/// <summary>
/// Reads the appliance's own sensors on one thread, each at its interval, and hands every reading to the control
/// plane's telemetry as the attached devices' pack sensors, exactly as a device monitor's. A sensor that cannot be
/// opened or read is said once (and once more when it answers again) and retried at its next interval; its devices
/// then go unavailable as with any silent source. Digital inputs also report each change of level at once.
/// </summary>
public sealed class OnboardSensors : IDisposable
{
    private readonly IReadOnlyList<Slot> _slots;
    private readonly IOnboardHardware _hardware;
    private readonly ITelemetrySink _sink;
    private readonly IControlClock _clock;
    private readonly Action<string> _log;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;

    public OnboardSensors(IReadOnlyList<AttachedSensor> sensors, IOnboardHardware hardware, ITelemetrySink sink, IControlClock clock, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(sensors);
        _slots = [.. sensors.Select(s => new Slot(s))];
        _hardware = hardware;
        _sink = sink;
        _clock = clock;
        _log = log;
        _thread = new Thread(Loop) { IsBackground = true, Name = "onboard-sensors" };
    }

    /// <summary>Readings handed to the telemetry so far (every device counted).</summary>
    public long Readings => Interlocked.Read(ref _readings);

    private long _readings;

    public void Start()
    {
        var now = _clock.NowMicros;
        foreach (var device in _slots.SelectMany(s => s.Attached.Devices).Distinct(StringComparer.Ordinal))
        {
            _sink.Expect(device, now);
        }

        _thread.Start();
    }

    public void Dispose()
    {
        _stop.Set();
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        foreach (var slot in _slots)
        {
            slot.Sensor?.Dispose();
        }

        _stop.Dispose();
    }

    private void Loop()
    {
        var started = Environment.TickCount64;
        while (!_stop.IsSet)
        {
            var elapsed = (Environment.TickCount64 - started) * 1000;
            foreach (var slot in _slots.Where(s => s.DueMicros <= elapsed))
            {
                slot.DueMicros = elapsed + slot.Attached.IntervalMicros;
                Poll(slot);
            }

            var next = _slots.Count == 0 ? long.MaxValue : _slots.Min(s => s.DueMicros);
            var waitMs = next == long.MaxValue ? Timeout.Infinite : (int)Math.Clamp((next / 1000) - (Environment.TickCount64 - started), 1, int.MaxValue);
            _stop.Wait(waitMs);
        }
    }

    private void Poll(Slot slot)
    {
        try
        {
            slot.Sensor ??= Open(slot);
            Deliver(slot, slot.Sensor.Read());
            if (slot.Failing)
            {
                slot.Failing = false;
                _log($"sensor {slot.Attached.Spec.Name}: answering again");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or PlatformNotSupportedException)
        {
            slot.Sensor?.Dispose();
            slot.Sensor = null; // reopened at the next interval: a chip that was reset needs its calibration read again
            if (!slot.Failing)
            {
                slot.Failing = true;
                _log($"sensor {slot.Attached.Spec.Name}: {Describe(slot.Attached.Spec)} does not answer ({e.Message}); retrying every {KalkiEdge.Core.Duration.Format(slot.Attached.IntervalMicros)}");
            }
        }
    }

    private IOnboardSensor Open(Slot slot)
    {
        var spec = slot.Attached.Spec;
        if (spec.Kind == OnboardSensorKind.Bme280)
        {
            return new Bme280Sensor(_hardware.OpenI2c(spec.Bus, spec.Address));
        }

        var input = new DigitalInputSensor(_hardware.OpenGpio(spec.Chip), spec.Pin, spec.Pull, spec.ActiveLow);
        input.Changed += active => Deliver(slot, [("active", EvValue.Of(active))]);
        return input;
    }

    private void Deliver(Slot slot, IReadOnlyList<(string Quantity, EvValue Value)> values)
    {
        var now = _clock.NowMicros;
        foreach (var (quantity, value) in values)
        {
            foreach (var reading in slot.Attached.Spec.Readings.Where(r => r.Quantity == quantity))
            {
                foreach (var device in slot.Attached.Devices)
                {
                    _sink.Reading(device, reading.Sensor, value, now);
                    Interlocked.Increment(ref _readings);
                }
            }
        }
    }

    private static string Describe(OnboardSensorSpec spec) => spec.Kind == OnboardSensorKind.Bme280
        ? $"BME280 at 0x{spec.Address:x2} on I2C bus {spec.Bus}"
        : $"GPIO line {spec.Pin} of chip {spec.Chip}";

    private sealed class Slot(AttachedSensor attached)
    {
        public AttachedSensor Attached { get; } = attached;

        public IOnboardSensor? Sensor { get; set; }

        public long DueMicros { get; set; }

        public bool Failing { get; set; }
    }
}
