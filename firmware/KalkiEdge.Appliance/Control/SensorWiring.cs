using KalkiEdge.Appliance.Config;
using KalkiEdge.ControlPlane.Telemetry;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Onboard;
using KalkiEdge.Devices.Simulators;
using KalkiEdge.Panel;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Wires the appliance's own sensors (kalki.yaml's <c>sensors:</c>) into the control plane: each is checked against
/// the devices it is attached to and their packs (so <c>check</c> reports it with file and line), then
/// <see cref="Start"/> reads them into the telemetry, where the packs' alert conditions see them exactly as a
/// device monitor's readings. A sensor attached to the site reports to every device whose pack declares its sensors.
/// </summary>
public static class SensorWiring
{
    public static IReadOnlyList<AttachedSensor> Compile(SiteConfig config, IReadOnlyList<DeviceTypePack> packs, DiagnosticBag diagnostics)
    {
        var specs = OnboardSensorSettings.Read(config.Sections, diagnostics);
        if (specs.Count == 0)
        {
            return [];
        }

        CheckPanelPins(config, specs, diagnostics);
        var packOf = config.Devices.Where(d => d.Type is not null).ToDictionary(d => d.Name, d => packs.FirstOrDefault(p => p.Name == d.Type), StringComparer.Ordinal);
        var attached = new List<AttachedSensor>();
        foreach (var spec in specs)
        {
            var devices = spec.Device is null ? SiteDevices(spec, config, packOf, diagnostics) : Device(spec, config, packOf, diagnostics);
            if (devices.Count == 0)
            {
                continue;
            }

            var interval = spec.IntervalMicros > 0 ? spec.IntervalMicros : devices.Min(d => packOf[d]!.DefaultSamplingIntervalMicros);
            attached.Add(new AttachedSensor(spec, devices, interval));
        }

        return attached;
    }

    /// <summary>
    /// Starts reading the sensors into <paramref name="telemetry"/>, following the devices added at run time;
    /// null when the site has none.
    /// </summary>
    public static SensorRuntime? Start(EdgeAppliance appliance, IOnboardHardware hardware, ITelemetrySink telemetry, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        if (appliance.Sensors.Count == 0)
        {
            return null;
        }

        var sensors = new OnboardSensors(appliance.Sensors, hardware, telemetry, appliance.Clock, log);
        sensors.Start();
        log($"onboard sensors: {string.Join(", ", appliance.Sensors.Select(s => $"{s.Spec.Name} -> {string.Join(" ", s.Devices)} every {Duration.Format(s.IntervalMicros)}"))}");
        return SensorRuntime.Follow(appliance, sensors, log);
    }

    /// <summary>
    /// The appliance's buses when it runs on a board: the kernel's I2C and GPIO, except BME280s given an
    /// environment-file, which are emulated and sense the room that file describes.
    /// </summary>
    public static IOnboardHardware Hardware(EdgeAppliance appliance)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        return new RoomFileHardware(new BoardHardware(), appliance.Sensors.Select(s => s.Spec));
    }

    private static List<string> Device(OnboardSensorSpec spec, SiteConfig config, Dictionary<string, DeviceTypePack?> packOf, DiagnosticBag diagnostics)
    {
        var name = spec.Device!;
        if (config.Devices.All(d => d.Name != name))
        {
            var suggestion = Spelling.Closest(name, config.Devices.Select(d => d.Name).Append(OnboardSensorSettings.Site).Order(StringComparer.Ordinal));
            diagnostics.Error(spec.AttachAt, $"sensors: sensor '{spec.Name}': no device named '{Printable.Escape(name)}' (attach to a device of this site, or to 'site'){Spelling.Hint(suggestion)}", suggestion);
            return [];
        }

        if (packOf.GetValueOrDefault(name) is not { } pack)
        {
            diagnostics.Error(spec.AttachAt, $"sensors: sensor '{spec.Name}': device '{name}' has no 'type', so no pack declares what its readings mean");
            return [];
        }

        var ok = true;
        foreach (var reading in spec.Readings)
        {
            ok &= Declared(spec, reading, pack, diagnostics);
        }

        return ok ? [name] : [];
    }

    /// <summary>Every device whose pack declares all the sensor's readings; at least one, or the readings would go nowhere.</summary>
    private static List<string> SiteDevices(OnboardSensorSpec spec, SiteConfig config, Dictionary<string, DeviceTypePack?> packOf, DiagnosticBag diagnostics)
    {
        var devices = config.Devices
            .Where(d => packOf.GetValueOrDefault(d.Name) is { } p && spec.Readings.All(r => p.Sensor(r.Sensor)?.Kind == r.Kind))
            .Select(d => d.Name)
            .ToList();
        if (devices.Count == 0 && spec.Readings.Count > 0)
        {
            var wanted = string.Join(", ", spec.Readings.Select(r => $"{r.Sensor} ({r.Kind.ToString().ToLowerInvariant()})"));
            diagnostics.Error(spec.AttachAt, $"sensors: sensor '{spec.Name}' is attached to the site, but no device's pack declares {wanted}, so its readings would reach no alert condition");
        }

        return devices;
    }

    private static bool Declared(OnboardSensorSpec spec, OnboardReading reading, DeviceTypePack pack, DiagnosticBag diagnostics)
    {
        var declared = pack.Sensor(reading.Sensor);
        if (declared is null)
        {
            var suggestion = Spelling.Closest(reading.Sensor, pack.Sensors.Select(s => s.Name).Order(StringComparer.Ordinal));
            diagnostics.Error(reading.At, $"sensors: sensor '{spec.Name}': '{Printable.Escape(reading.Sensor)}' is not a sensor of pack '{pack.Name}' (it declares {string.Join(", ", pack.Sensors.Select(s => s.Name))}){Spelling.Hint(suggestion)}", suggestion);
            return false;
        }

        if (declared.Kind != reading.Kind)
        {
            diagnostics.Error(reading.At, $"sensors: sensor '{spec.Name}': its {reading.Quantity} is a {reading.Kind.ToString().ToLowerInvariant()}, but pack '{pack.Name}' declares '{reading.Sensor}' as {declared.Kind.ToString().ToLowerInvariant()}");
            return false;
        }

        return true;
    }

    /// <summary>A digital input on the panel button's line would read the button.</summary>
    private static void CheckPanelPins(SiteConfig config, IReadOnlyList<OnboardSensorSpec> specs, DiagnosticBag diagnostics)
    {
        if (PanelSettings.Read(config.Sections, new DiagnosticBag()).Button is not { } button)
        {
            return; // the panel's own errors are reported by its reader
        }

        foreach (var s in specs.Where(s => s.Kind == OnboardSensorKind.DigitalInput && s.Chip == button.Chip && s.Pin == button.Pin))
        {
            diagnostics.Error(s.PinAt, $"sensors: sensor '{s.Name}': pin {s.Pin} of chip {s.Chip} is the panel's button line");
        }
    }
}
