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
/// A sensor attached to the site also reports to devices added at run time whose pack declares its readings
/// (<see cref="JoinSite"/>), and stops when they leave (<see cref="LeaveSite"/>).
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

    /// <summary>
    /// A device added (or changed) at run time: every site sensor whose readings <paramref name="pack"/> declares,
    /// each with the same value kind, reports to it from now on; the sensors it no longer fits stop. Returns the
    /// names of the sensors that report to it.
    /// </summary>
    public IReadOnlyList<string> JoinSite(string device, DeviceTypePack? pack)
    {
        ArgumentNullException.ThrowIfNull(device);
        var joined = new List<string>();
        foreach (var slot in _slots.Where(s => s.Attached.Spec.Device is null))
        {
            var fits = pack is not null && slot.Attached.Spec.Readings.All(r => pack.Sensor(r.Sensor)?.Kind == r.Kind);
            if (fits)
            {
                slot.Add(device);
                joined.Add(slot.Attached.Spec.Name);
            }
            else
            {
                slot.Remove(device);
            }
        }

        if (joined.Count > 0)
        {
            _sink.Expect(device, _clock.NowMicros);
        }

        return joined;
    }

    /// <summary>The devices a sensor's readings go to now (none for a sensor of another name).</summary>
    public IReadOnlyList<string> ReportsTo(string sensor) => _slots.FirstOrDefault(s => s.Attached.Spec.Name == sensor)?.Devices ?? [];

    /// <summary>A device deleted (or renamed away) at run time: no site sensor reports to it any more.</summary>
    public void LeaveSite(string device)
    {
        foreach (var slot in _slots.Where(s => s.Attached.Spec.Device is null))
        {
            slot.Remove(device);
        }
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
                foreach (var device in slot.Devices)
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
        private readonly Lock _gate = new();

        public AttachedSensor Attached { get; } = attached;

        /// <summary>Where the readings go now: the attached devices, plus runtime devices for a site sensor (copied on change, read lock-free).</summary>
        public IReadOnlyList<string> Devices => _devices;

        private volatile IReadOnlyList<string> _devices = attached.Devices;

        public void Add(string device)
        {
            lock (_gate)
            {
                if (!Devices.Contains(device, StringComparer.Ordinal))
                {
                    _devices = [.. _devices, device];
                }
            }
        }

        public void Remove(string device)
        {
            lock (_gate)
            {
                // A device of the config stays: it is attached by kalki.yaml, not by the registry.
                if (!Attached.Devices.Contains(device, StringComparer.Ordinal))
                {
                    _devices = [.. _devices.Where(d => d != device)];
                }
            }
        }

        public IOnboardSensor? Sensor { get; set; }

        public long DueMicros { get; set; }

        public bool Failing { get; set; }
    }
}
