using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Devices.Monitoring;

/// <summary>
/// A pack's declared monitor (<see cref="PackMonitor"/>) as the monitor compiler reads a device's <c>monitor:</c>,
/// with the pack file's places, so the same family code compiles both and its errors point into the pack.
/// </summary>
public static class PackMonitorArgs
{
    /// <summary>The monitor arguments for <paramref name="device"/>: <c>{device}</c> in a topic becomes its name.</summary>
    public static ArgNode For(PackMonitor monitor, string device)
    {
        List<KeyValuePair<ArgNode, ArgNode>> entries = [Entry("family", monitor.Family, monitor.FamilyAt)];
        foreach (var setting in monitor.Settings)
        {
            var value = setting.Key is "topic" or "command-topic" ? setting.Value.Replace(PackMonitor.DevicePlaceholder, device, StringComparison.Ordinal) : setting.Value;
            entries.Add(Entry(setting.Key, value, setting.At));
        }

        if (monitor.Fields.Count > 0)
        {
            entries.Add(new(new ArgNode(monitor.FieldsAt, "fields"), new ArgNode(monitor.FieldsAt, [.. monitor.Fields.Select(f => Entry(f.Sensor, f.Field, f.At))])));
        }

        if (monitor.Commands.Count > 0)
        {
            var commands = monitor.Commands.All(c => c.Path is null)
                ? new ArgNode(monitor.CommandsAt, [.. monitor.Commands.Select(c => new ArgNode(c.At, c.Command))])
                : new ArgNode(monitor.CommandsAt, [.. monitor.Commands.Select(c => Entry(c.Command, c.Path ?? "", c.At))]);
            entries.Add(new(new ArgNode(monitor.CommandsAt, "commands"), commands));
        }

        return new ArgNode(monitor.At, entries);
    }

    /// <summary>
    /// Compiles every pack's declared monitor as a device of the pack would get it (an address, a login), so an
    /// unknown family ("did you mean"), a setting the family does not take or a value it refuses is an error in the
    /// pack file when the packs are loaded, not when a device is added. Packs whose file already has errors are skipped
    /// (their mapping was not read whole).
    /// </summary>
    public static void Check(MonitorRegistry registry, IEnumerable<DeviceTypePack> packs, DiagnosticBag diagnostics)
    {
        var at = SourceSpan.None("pack check");
        var login = new ArgNode(at, [Entry("user", "check", at), Entry("password", "check", at)]);
        foreach (var pack in packs.Where(p => p.Monitor is not null && diagnostics.Items.All(d => d.File != p.At.File)))
        {
            var entry = new MonitorEntry(pack.Name, For(pack.Monitor!, pack.Name), login, [Ip.FromV4(0xC0000202)], pack) { Who = $"pack '{pack.Name}' monitor" };
            (MonitorCompilation.Compile(registry, entry, diagnostics) as IDisposable)?.Dispose();
        }
    }

    private static KeyValuePair<ArgNode, ArgNode> Entry(string key, string value, SourceSpan at) => new(new ArgNode(at, key), new ArgNode(at, value));
}
