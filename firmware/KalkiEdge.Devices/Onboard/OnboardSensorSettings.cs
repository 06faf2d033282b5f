using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Devices.Onboard;

/// <summary>
/// Site config <c>sensors:</c>, the appliance's own sensors, each checked on its own (the appliance then checks
/// them against the devices and their packs):
/// <code>
/// sensors:
///   - {name: room-climate, kind: bme280, bus: 1, address: 0x76, attach: wemo-plug, interval: 1s,
///      readings: {temperature: room-temp-c, humidity: room-humidity-pct, pressure: room-pressure-hpa}}
///   - {name: hall-door, kind: digital-input, chip: 0, pin: 17, pull: up, active: low, attach: site,
///      readings: {active: door-open}}
/// </code>
/// A BME280 with <c>environment-file: /run/kalki-edge/room</c> is emulated in memory and senses the room that file
/// gives (<see cref="Simulators.RoomFile"/>): for testbeds and benches that have no chip.
/// </summary>
public static class OnboardSensorSettings
{
    public const string Section = "sensors";

    /// <summary>The word that attaches a sensor to the site instead of one device.</summary>
    public const string Site = "site";

    /// <summary>The two addresses a BME280 answers at (SDO low, SDO high).</summary>
    public static readonly int[] Bme280Addresses = [0x76, 0x77];

    /// <summary>At most this many sensors: each is read on the sensors' one thread.</summary>
    public const int MaxSensors = 32;

    private static readonly Dictionary<OnboardSensorKind, string[]> Quantities = new()
    {
        [OnboardSensorKind.Bme280] = ["temperature", "humidity", "pressure"],
        [OnboardSensorKind.DigitalInput] = ["active"],
    };

    /// <summary>The value kind a quantity is reported as (the pack sensor must declare the same).</summary>
    public static ValueKind KindOf(string quantity) => quantity == "active" ? ValueKind.Bool : ValueKind.Decimal;

    /// <summary>Reads the section (absent: no sensors); every error, with its place, goes to <paramref name="diagnostics"/>.</summary>
    public static IReadOnlyList<OnboardSensorSpec> Read(IReadOnlyDictionary<string, ArgNode> sections, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(diagnostics);
        if (!sections.TryGetValue(Section, out var node))
        {
            return [];
        }

        if (node.Kind != ArgKind.List)
        {
            diagnostics.Error(node.At, $"{Section}: expected a list of sensors (- {{name: ..., kind: bme280, ...}}), got '{node}'");
            return [];
        }

        if (node.Items.Count > MaxSensors)
        {
            diagnostics.Error(node.At, $"{Section}: at most {MaxSensors} sensors, got {node.Items.Count}");
            return [];
        }

        var specs = node.Items.Select(item => Sensor(item, diagnostics)).OfType<OnboardSensorSpec>().ToList();
        foreach (var dup in specs.GroupBy(s => s.Name).Where(g => g.Count() > 1))
        {
            diagnostics.Error(dup.Skip(1).First().At, $"{Section}: sensor name '{dup.Key}' is used {dup.Count()} times");
        }

        foreach (var dup in specs.Where(s => s is { Kind: OnboardSensorKind.Bme280, Address: > 0 }).GroupBy(s => (s.Bus, s.Address)).Where(g => g.Count() > 1))
        {
            diagnostics.Error(dup.Skip(1).First().At, $"{Section}: {string.Join(" and ", dup.Select(s => s.Name))} are both at address 0x{dup.Key.Address:x2} on I2C bus {dup.Key.Bus}");
        }

        foreach (var dup in specs.Where(s => s.Kind == OnboardSensorKind.DigitalInput).GroupBy(s => (s.Chip, s.Pin)).Where(g => g.Count() > 1))
        {
            diagnostics.Error(dup.Skip(1).First().PinAt, $"{Section}: {string.Join(" and ", dup.Select(s => s.Name))} both use GPIO line {dup.Key.Pin} of chip {dup.Key.Chip}");
        }

        // On bus 1 SDA/SCL are BCM 2 and 3: an input there would fight the bus.
        if (specs.Any(s => s is { Kind: OnboardSensorKind.Bme280, Bus: 1 }))
        {
            foreach (var s in specs.Where(s => s is { Kind: OnboardSensorKind.DigitalInput, Pin: 2 or 3 }))
            {
                diagnostics.Error(s.PinAt, $"{Section}: sensor '{s.Name}': pin {s.Pin} is the I2C bus 1 {(s.Pin == 2 ? "SDA" : "SCL")} line a BME280 here uses");
            }
        }

        return specs;
    }

    private static OnboardSensorSpec? Sensor(ArgNode node, DiagnosticBag diagnostics)
    {
        if (ConfigSection.Args(Section, node, diagnostics) is not { } a)
        {
            return null;
        }

        var nameNode = a.Required("name");
        var name = nameNode is null ? "" : a.ScalarText(nameNode) ?? "";
        if (nameNode is not null && name.Length > 0 && !DeviceName.IsValid(name))
        {
            a.Error(nameNode.At, $"sensor name '{Printable.Escape(name)}' is not allowed: use {DeviceName.Rule}");
            name = Printable.Escape(name);
        }

        var kind = a.Choice("kind", "", "bme280", "digital-input") switch
        {
            "bme280" => OnboardSensorKind.Bme280,
            "digital-input" => OnboardSensorKind.DigitalInput,
            _ => (OnboardSensorKind?)null,
        };
        if (kind is null)
        {
            if (!a.Has("kind"))
            {
                a.Error(node.At, $"sensor '{name}': missing 'kind' (bme280 or digital-input)");
            }

            return null;
        }

        var attach = a.Required("attach") is { } attachNode ? (a.ScalarText(attachNode), attachNode.At) : (null, node.At);
        var interval = a.Has("interval") ? a.DurationMicros("interval", 1_000_000, 100_000) : 0;
        var spec = new OnboardSensorSpec(name, kind.Value, Readings(a, kind.Value, name, node), node.At)
        {
            Device = attach.Item1 == Site ? null : attach.Item1,
            AttachAt = attach.At,
            IntervalMicros = interval,
        };
        spec = kind == OnboardSensorKind.Bme280 ? Bme280(a, spec, name) : DigitalInput(a, spec, name, node);
        a.RejectUnknown();
        return spec;
    }

    private static OnboardSensorSpec Bme280(ElementArgs a, OnboardSensorSpec spec, string name)
    {
        var bus = (int)a.Int("bus", 1, 0, 31);
        var address = Bme280Addresses[0];
        if (a.Required("address") is { } addressNode && a.ScalarText(addressNode) is { } text)
        {
            if (!BusAddress.TryParse(text, out address) || Array.IndexOf(Bme280Addresses, address) < 0)
            {
                a.Error(addressNode.At, $"sensor '{name}': a BME280 answers only at 0x76 (SDO to ground) or 0x77 (SDO to VDDIO), got '{Printable.Escape(text)}'");
                address = 0; // not a place on the bus: compared with no other sensor
            }
        }

        return spec with { Bus = bus, Address = address, EnvironmentFile = a.AbsolutePath("environment-file") };
    }

    private static OnboardSensorSpec DigitalInput(ElementArgs a, OnboardSensorSpec spec, string name, ArgNode node)
    {
        var line = GpioInputArgs.Read(a, node, GpioPull.None, floatingActiveLow: false, $"sensor '{name}'");
        return spec with { Chip = line.Chip, Pin = line.Pin, PinAt = line.PinAt, Pull = line.Pull, ActiveLow = line.ActiveLow };
    }

    /// <summary><c>readings: {quantity: pack-sensor, ...}</c>: at least one, each quantity the binding measures.</summary>
    private static List<OnboardReading> Readings(ElementArgs a, OnboardSensorKind kind, string name, ArgNode node)
    {
        var known = Quantities[kind];
        var readings = new List<OnboardReading>();
        if (a.Required("readings") is not { } readingsNode || a.Map(readingsNode, "readings") is null)
        {
            return readings;
        }

        foreach (var (key, value) in readingsNode.Entries)
        {
            if (Array.IndexOf(known, key.Text) < 0)
            {
                var suggestion = Spelling.Closest(key.Text, known);
                a.Error(key.At, $"sensor '{name}': a {KindName(kind)} measures {string.Join(", ", known)}, not '{Printable.Escape(key.Text)}'{Spelling.Hint(suggestion)}", suggestion);
            }
            else if (a.ScalarText(value) is { Length: > 0 } sensor)
            {
                readings.Add(new OnboardReading(key.Text, sensor, KindOf(key.Text), value.At));
            }
        }

        if (readings.Count == 0 && readingsNode.Entries.Count == 0)
        {
            a.Error(readingsNode.At, $"sensor '{name}': 'readings' names no pack sensor (e.g. {{{known[0]}: room-{known[0]}}})");
        }

        return readings;
    }

    public static string KindName(OnboardSensorKind kind) => kind == OnboardSensorKind.Bme280 ? "bme280" : "digital-input";
}
