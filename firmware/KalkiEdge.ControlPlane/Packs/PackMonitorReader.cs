using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using YamlDotNet.RepresentationModel;

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
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    var at = YamlMap.Span(m.File, k);
                    if (k is not YamlScalarNode { Value: { } sensor } || v is not YamlScalarNode { Value: { } field })
                    {
                        m.Diagnostics.Error(at, $"{m.Owner}: 'fields' maps a sensor to a dotted JSON field, like {{cpu-temp-c: cpu.temp}}");
                    }
                    else if (sensors.All(s => s.Name != sensor))
                    {
                        var near = Spelling.Closest(sensor, sensors.Select(s => s.Name));
                        m.Diagnostics.Error(at, $"{m.Owner}: field for '{Printable.Escape(sensor)}', which is not a sensor of the pack{Spelling.Hint(near)} (sensors: {string.Join(", ", sensors.Select(s => s.Name))})", near);
                    }
                    else
                    {
                        fields.Add(new SensorField(sensor, field, YamlMap.Span(m.File, v)));
                    }
                }

                break;
            case var other:
                m.Diagnostics.Error(YamlMap.Span(m.File, other), $"{m.Owner}: 'fields' must be a mapping of sensors to JSON fields, like {{cpu-temp-c: cpu.temp}}");
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
            YamlSequenceNode list => list.Children.Select(i => (Key: i, Value: (YamlNode?)null)).ToList(),
            YamlMappingNode map => map.Children.Select(e => (Key: e.Key, Value: (YamlNode?)e.Value)).ToList(),
            var other => Wrong(m, other),
        };
        foreach (var (k, v) in items)
        {
            var at = YamlMap.Span(m.File, k);
            if (k is not YamlScalarNode { Value: { } command } || v is not (null or YamlScalarNode))
            {
                Wrong(m, k);
            }
            else if (declared.All(c => c.Name != command))
            {
                var near = Spelling.Closest(command, declared.Select(c => c.Name));
                m.Diagnostics.Error(at, $"{m.Owner}: '{Printable.Escape(command)}' is not a command of the pack{Spelling.Hint(near)} (commands: {string.Join(", ", declared.Select(c => c.Name))})", near);
            }
            else
            {
                routes.Add(new CommandRoute(command, (v as YamlScalarNode)?.Value, v is null ? at : YamlMap.Span(m.File, v)));
            }
        }

        return routes;
    }

    private static List<(YamlNode Key, YamlNode? Value)> Wrong(YamlMap m, YamlNode node)
    {
        m.Diagnostics.Error(YamlMap.Span(m.File, node), $"{m.Owner}: 'commands' is a list of the pack's commands, or a mapping of each to its path");
        return [];
    }
}
