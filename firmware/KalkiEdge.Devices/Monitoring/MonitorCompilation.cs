using System.Net;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Devices.Monitoring;

/// <summary>What one device's <c>monitor:</c> and <c>credentials:</c> entries say, as the site config gives them.</summary>
public sealed record MonitorEntry(string Device, ArgNode Monitor, ArgNode? Credentials, IReadOnlyList<UInt128> Ips, DeviceTypePack? Pack)
{
    /// <summary>Whose monitor the errors are about: the device, or the pack whose declaration is checked.</summary>
    public string Who { get; init; } = $"device '{Device}'";
}

/// <summary>
/// Compiles a device's <c>monitor: {family: NAME, address: ..., port: ..., timeout: ..., ...}</c>: the family by
/// name (typos get "did you mean"), the arguments every family shares, then the family's own; the sensors it reads
/// must be sensors of the device's pack with the same value kind. Every error has its place.
/// </summary>
public static class MonitorCompilation
{
    public const long DefaultTimeoutMicros = 5_000_000;

    public static DeviceMonitor? Compile(MonitorRegistry registry, MonitorEntry entry, DiagnosticBag diagnostics, ArgumentRecorder? recorder = null)
    {
        var node = entry.Monitor;
        if (node.Kind != ArgKind.Map)
        {
            diagnostics.Error(node.At, $"{entry.Who}: monitor: expected a map like {{family: hue}}, got {node}");
            return null;
        }

        var familyNode = node.Entries.FirstOrDefault(e => e.Key.Text == "family").Value;
        if (familyNode is null || familyNode.Kind != ArgKind.Scalar)
        {
            diagnostics.Error(node.At, $"{entry.Who}: monitor: 'family' is required (one of {string.Join(", ", registry.Families.Select(f => f.Name))})");
            return null;
        }

        if (!registry.TryGet(familyNode.Text, out var family))
        {
            var suggestion = registry.Suggest(familyNode.Text);
            diagnostics.Error(familyNode.At, $"{entry.Who}: unknown monitor family '{Printable.Escape(familyNode.Text)}'", suggestion is null ? null : $"did you mean '{suggestion}'?");
            return null;
        }

        if (entry.Pack is null)
        {
            diagnostics.Error(node.At, $"{entry.Who}: a monitored device needs a 'type' (its pack declares the sensors the monitor reads)");
            return null;
        }

        int before = diagnostics.Items.Count;
        var args = new ElementArgs($"monitor {family.Name}", node.At, [.. node.Entries.Where(e => e.Key.Text != "family")], diagnostics, NoResources.Instance) { Recorder = recorder };
        var target = Target(args, entry, family);
        var monitor = target is null ? null : family.Compile(args, target);
        args.RejectUnknown();
        if (monitor is null || diagnostics.Items.Count > before)
        {
            return null;
        }

        foreach (var output in monitor.Produces)
        {
            var declared = entry.Pack.Sensor(output.Name);
            if (declared is null)
            {
                diagnostics.Error(node.At, $"{entry.Who}: the {family.Name} monitor reads '{output.Name}', which pack '{entry.Pack.Name}' does not declare (sensors: {string.Join(", ", entry.Pack.Sensors.Select(s => s.Name))})");
            }
            else if (declared.Kind != output.Kind)
            {
                diagnostics.Error(node.At, $"{entry.Who}: the {family.Name} monitor reads '{output.Name}' as {Kind(output.Kind)}, pack '{entry.Pack.Name}' declares {Kind(declared.Kind)}");
            }
        }

        return diagnostics.Items.Count > before ? null : monitor;
    }

    /// <summary>
    /// A family as the reference shows it: its compiler run with an <see cref="ArgumentRecorder"/> and no arguments, so
    /// the arguments, defaults and ranges listed are the parsing code's own (shared ones first).
    /// </summary>
    public static ElementDoc Describe(MonitorFamily family)
    {
        var recorder = new ArgumentRecorder();
        var ignored = new DiagnosticBag(); // "missing required argument" and the like: expected with no arguments
        var args = new ElementArgs($"monitor {family.Name}", SourceSpan.None("reference"), [], ignored, NoResources.Instance) { Recorder = recorder };
        var entry = new MonitorEntry("reference", new ArgNode(SourceSpan.None("reference"), ""), null, [Ip.FromV4(0x7F000001)], null);
        family.Compile(args, Target(args, entry, family)!);
        return new ElementDoc(family.Name, family.Summary, family.Example,
            [.. recorder.Arguments.Where(a => a.Owner == args.Owner).Select(a => a with { Owner = family.Name })]);
    }

    /// <summary>The device monitor reference (docs/device-monitors.md).</summary>
    public static string Markdown(MonitorRegistry registry) =>
        "# Device monitor reference\n\n"
        + "Generated from the monitor registry by `kalki-edge elements --monitors` (`make elements-doc`); do not edit by hand.\n"
        + "A device gets a monitor in kalki.yaml with `monitor: {family: NAME, ...}` and, where the family needs them,\n"
        + "`credentials: {user: ..., password: ...}`. The monitor polls the device on its sampling interval (the pack's\n"
        + "`sampling:`, changed at once by a rule's) and sends the commands rules issue. `address` defaults to the device's\n"
        + "first IP and `port` to the family's; durations take a unit (`500ms`, `5s`). The sensors a family reads must be\n"
        + "sensors of the device's pack with the same value kind.\n\n"
        + ElementReference.Sections([.. registry.Families.Select(Describe)]);

    public static string Kind(ValueKind kind) => kind.ToString().ToLowerInvariant();

    private static MonitorTarget? Target(ElementArgs args, MonitorEntry entry, MonitorFamily family)
    {
        IPAddress? address = null;
        if (args.Node("address", "IP address", "the device's first IP") is { } a)
        {
            if (args.ScalarText(a) is { } text && Ip.TryParse(text, out var ip))
            {
                address = ToAddress(ip);
            }
            else
            {
                args.Error(a.At, $"'{Printable.Escape(a.ToString())}' is not an IP address");
            }
        }
        else if (entry.Ips.Count > 0)
        {
            address = ToAddress(entry.Ips[0]);
        }
        else
        {
            args.Error(args.At, $"{entry.Who} has no IP address to poll: give it 'ip:' or the monitor an 'address:'");
        }

        var port = (int)args.Int("port", family.DefaultPort, 1, 65535);
        var (user, password) = Credentials(entry, args.Diagnostics);
        return address is null ? null : new MonitorTarget(entry.Device, address, port, user, password, entry.Pack?.Sensors ?? [])
        {
            Timeout = TimeSpan.FromMicroseconds(args.DurationMicros("timeout", DefaultTimeoutMicros, 1_000)),
        };
    }

    private static (string? User, string? Password) Credentials(MonitorEntry entry, DiagnosticBag diagnostics)
    {
        if (entry.Credentials is not { } node)
        {
            return (null, null);
        }

        if (node.Kind != ArgKind.Map)
        {
            diagnostics.Error(node.At, $"{entry.Who}: credentials: expected a map like {{user: NAME, password: SECRET}}");
            return (null, null);
        }

        var c = new ElementArgs("credentials", node.At, node.Entries, diagnostics, NoResources.Instance);
        var user = c.Node("user") is { } u ? c.ScalarText(u) : null;
        var password = c.Node("password") is { } p ? c.ScalarText(p) : null;
        c.RejectUnknown();
        return (user, password);
    }

    private static IPAddress ToAddress(UInt128 ip) => IPAddress.Parse(Ip.Format(ip));
}
