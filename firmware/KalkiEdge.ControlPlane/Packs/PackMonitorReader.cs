using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.ControlPlane.Packs;

/// <summary>
/// Reads a pack's <c>monitor:</c> — <c>{family: http-json, path: /status, fields: {cpu-temp-c: cpu.temp}, commands:
/// {reboot: /reboot}}</c> — into <see cref="PackMonitor"/>: every field must feed a sensor and every command be a
/// command of this pack ("did you mean" for both, at their place). The family's own checks (its name, its settings'
/// values) need the monitor registry, which the control plane does not know: the appliance runs them on the loaded
/// packs with the same places.
/// </summary>
public static class PackMonitorReader
{
    /// <summary>
    /// The scalar settings a pack may give its family (credentials are per device). <c>address</c> replaces the
    /// device's own, for a type reached through one gateway (and the simulators on loopback).
    /// </summary>
    public static readonly IReadOnlyList<string> SettingKeys = ["address", "port", "path", "topic", "command-topic", "broker", "broker-port", "timeout"];

    public static PackMonitor? Read(YamlMap m, IReadOnlyList<SensorDef> sensors, IReadOnlyList<CommandDef> commands)
    {
        var family = m.String("family", required: true);
        var settings = new List<PackMonitorSetting>();
        foreach (var key in SettingKeys)
        {
            if (m.String(key) is { } value)
            {
                settings.Add(new PackMonitorSetting(key, value, m.SpanOf(key)));
            }
        }

        var fields = Fields(m, sensors);
        var routes = Commands(m, commands);
        m.RejectUnknown();
        return family is null ? null : new PackMonitor(family, m.At)
        {
            FamilyAt = m.SpanOf("family"),
            Settings = settings,
            Fields = fields,
            Commands = routes,
            FieldsAt = m.SpanOf("fields"),
            CommandsAt = m.SpanOf("commands"),
        };
    }

    private static List<SensorField> Fields(YamlMap m, IReadOnlyList<SensorDef> sensors)
    {
        var fields = new List<SensorField>();
        switch (m.Node("fields"))
        {
            case null:
                break;
            case { Kind: ArgKind.Map } map:
                foreach (var (k, v) in map.Entries)
                {
                    if (k.Kind != ArgKind.Scalar || v.Kind != ArgKind.Scalar)
                    {
                        m.Diagnostics.Error(k.At, $"{m.Owner}: 'fields' maps a sensor to a dotted JSON field, like {{cpu-temp-c: cpu.temp}}");
                    }
                    else if (sensors.All(s => s.Name != k.Text))
                    {
                        var near = Spelling.Closest(k.Text, sensors.Select(s => s.Name));
                        m.Diagnostics.Error(k.At, $"{m.Owner}: field for '{Printable.Escape(k.Text)}', which is not a sensor of the pack{Spelling.Hint(near)} (sensors: {string.Join(", ", sensors.Select(s => s.Name))})", near);
                    }
                    else
                    {
                        fields.Add(new SensorField(k.Text, v.Text, v.At));
                    }
                }

                break;
            case var other:
                m.Diagnostics.Error(other.At, $"{m.Owner}: 'fields' must be a mapping of sensors to JSON fields, like {{cpu-temp-c: cpu.temp}}");
                break;
        }

        return fields;
    }

    /// <summary><c>[turn-off, turn-on]</c> (the family knows where each goes) or <c>{reboot: /reboot}</c> (a path each).</summary>
    private static List<CommandRoute> Commands(YamlMap m, IReadOnlyList<CommandDef> declared)
    {
        var routes = new List<CommandRoute>();
        var items = m.Node("commands") switch
        {
            null => [],
            { Kind: ArgKind.List } list => list.Items.Select(i => (Key: i, Value: (ArgNode?)null)).ToList(),
            { Kind: ArgKind.Map } map => map.Entries.Select(e => (Key: e.Key, Value: (ArgNode?)e.Value)).ToList(),
            var other => Wrong(m, other),
        };
        foreach (var (k, v) in items)
        {
            if (k.Kind != ArgKind.Scalar || v is { Kind: not ArgKind.Scalar })
            {
                Wrong(m, k);
            }
            else if (declared.All(c => c.Name != k.Text))
            {
                var near = Spelling.Closest(k.Text, declared.Select(c => c.Name));
                m.Diagnostics.Error(k.At, $"{m.Owner}: '{Printable.Escape(k.Text)}' is not a command of the pack{Spelling.Hint(near)} (commands: {string.Join(", ", declared.Select(c => c.Name))})", near);
            }
            else
            {
                routes.Add(new CommandRoute(k.Text, v?.Text, v?.At ?? k.At));
            }
        }

        return routes;
    }

    private static List<(ArgNode Key, ArgNode? Value)> Wrong(YamlMap m, ArgNode node)
    {
        m.Diagnostics.Error(node.At, $"{m.Owner}: 'commands' is a list of the pack's commands, or a mapping of each to its path");
        return [];
    }
}
