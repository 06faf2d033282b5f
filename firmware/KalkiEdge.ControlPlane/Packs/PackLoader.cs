using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.ControlPlane.Packs;

/// <summary>
/// Reads device-type packs (YAML, one file per type) into <see cref="DeviceTypePack"/>. Reports every local error
/// (syntax, unknown keys, unknown sensors/states/commands within the pack, bad values) with file and line;
/// cross-pack and semantic checks are <see cref="PackChecker"/>'s job.
/// </summary>
public static class PackLoader
{
    public const long DefaultSamplingIntervalMicros = 60_000_000;

    /// <summary>Loads every <c>*.yaml</c> pack in <paramref name="directory"/> (sorted by file name).</summary>
    public static List<DeviceTypePack> LoadDirectory(string directory, DiagnosticBag diagnostics)
    {
        var packs = new List<DeviceTypePack>();
        if (!Directory.Exists(directory))
        {
            diagnostics.Error(SourceSpan.None(directory), "pack directory does not exist");
            return packs;
        }

        foreach (var file in Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            string text;
            try
            {
                text = BoundedFile.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                diagnostics.Error(SourceSpan.None(file), $"cannot read: {e.Message}");
                continue;
            }

            if (Load(file, text, diagnostics) is { } pack)
            {
                packs.Add(pack);
            }
        }

        return packs;
    }

    public static DeviceTypePack? Load(string file, string text, DiagnosticBag diagnostics)
    {
        var root = YamlMap.Load(file, text, diagnostics, "pack");
        if (root is null)
        {
            return null;
        }

        var name = root.String("type", required: true) ?? "";
        var owner = $"pack '{name}'";
        var description = root.String("description") ?? "";
        var sampling = root.Duration("sampling") ?? DefaultSamplingIntervalMicros;
        var sensors = Sensors(root, owner);
        var commands = root.Strings("commands").Select(c => new CommandDef(c.Value, c.At)).ToList();
        var alertTypes = root.Strings("alert-types");
        foreach (var (type, at) in alertTypes.Where(t => AlertTypes.BuiltIn.Contains(t.Value)))
        {
            diagnostics.Error(at, $"{owner}: alert type '{type}' is built in; declare only the pack's own telemetry alert types");
        }

        var states = root.Strings("states");
        var stateNames = states.Count > 0 ? states.Select(s => s.Value).ToList() : [.. DeviceTypePack.DefaultStates];
        var initial = root.String("initial") ?? stateNames[0];
        if (!stateNames.Contains(initial))
        {
            diagnostics.Error(root.SpanOf("initial"), $"{owner}: initial state '{initial}' is not one of the states ({string.Join(", ", stateNames)})");
        }

        ReportDuplicates(states, owner, "state", diagnostics);
        ReportDuplicates(commands.Select(c => (c.Name, c.At)).ToList(), owner, "command", diagnostics);
        var chains = root.Pairs("chains").Select(p => new StateChain(p.Key, p.Value, p.At)).ToList();
        var context = new PackContext(owner, sensors, stateNames, commands.Select(c => c.Name).ToHashSet(StringComparer.Ordinal), diagnostics);
        var telemetry = root.Maps("telemetry-alerts", $"{owner} telemetry alert").Select(m => TelemetryAlert(m, context)).OfType<TelemetryAlertCondition>().ToList();
        var rules = root.Maps("rules", $"{owner} rule").Select(m => Rule(m, context)).OfType<PolicyRule>().ToList();
        ReportDuplicates(rules.Select(r => (r.Name, r.At)).ToList(), owner, "rule", diagnostics);
        var monitor = root.Map("monitor", $"{owner} monitor") is { } monitorMap ? PackMonitorReader.Read(monitorMap, sensors, commands) : null;
        root.RejectUnknown();

        foreach (var c in chains.Where(c => !stateNames.Contains(c.State)))
        {
            diagnostics.Error(c.At, $"{owner}: chain for unknown state '{c.State}'");
        }

        foreach (var state in stateNames.Where(s => chains.All(c => c.State != s)))
        {
            diagnostics.Error(root.SpanOf("chains"), $"{owner}: state '{state}' has no chain: every state needs one (the device is never without a defense)");
        }

        var pack = new DeviceTypePack(name, description, sensors, commands, alertTypes.Select(a => a.Value).ToList(), stateNames,
            initial, chains, telemetry, rules, sampling, root.At) { Monitor = monitor };
        // Returned even with errors so the checker can report cross-pack problems in the same run; callers that
        // run packs refuse to start when the bag has errors.
        return pack;
    }

    private static List<SensorDef> Sensors(YamlMap root, string owner)
    {
        var sensors = new List<SensorDef>();
        foreach (var (name, kindText, at) in root.Pairs("sensors"))
        {
            if (Enum.TryParse<ValueKind>(kindText, ignoreCase: true, out var kind) && !int.TryParse(kindText, out _))
            {
                sensors.Add(new SensorDef(name, kind, at));
            }
            else
            {
                root.Diagnostics.Error(at, $"{owner}: sensor '{name}' has unknown type '{kindText}' (bool, int, decimal, string, timestamp)");
            }
        }

        ReportDuplicates(sensors.Select(s => (s.Name, s.At)).ToList(), owner, "sensor", root.Diagnostics);
        return sensors;
    }

    private static TelemetryAlertCondition? TelemetryAlert(YamlMap m, PackContext pack)
    {
        var alert = m.String("alert", required: true) ?? "";
        var (combine, terms) = Terms(m, pack, allowAggregate: true);
        m.RejectUnknown();
        if (terms.Count == 0)
        {
            pack.Diagnostics.Error(m.At, $"{pack.Owner}: telemetry alert '{alert}' needs 'all' or 'any' with at least one comparison");
            return null;
        }

        return new TelemetryAlertCondition(alert, combine, terms, m.SpanOf("alert"));
    }

    /// <summary>Reads <c>all: [...]</c> or <c>any: [...]</c> comparisons.</summary>
    private static (Combine, List<EvComparison>) Terms(YamlMap m, PackContext pack, bool allowAggregate)
    {
        var all = m.Maps("all", $"{pack.Owner} comparison");
        var any = m.Maps("any", $"{pack.Owner} comparison");
        if (all.Count > 0 && any.Count > 0)
        {
            pack.Diagnostics.Error(m.At, $"{pack.Owner}: use either 'all' or 'any', not both");
        }

        var combine = any.Count > 0 ? Combine.Any : Combine.All;
        var terms = (any.Count > 0 ? any : all).Select(t => Comparison(t, pack, allowAggregate)).OfType<EvComparison>().ToList();
        return (combine, terms);
    }

    private static EvComparison? Comparison(YamlMap t, PackContext pack, bool allowAggregate)
    {
        var sensorName = t.String("sensor", required: true) ?? "";
        var opText = t.String("op", required: true) ?? "";
        var valueText = t.String("value", required: true);
        int last = allowAggregate ? t.Int("last", 1) : 1;
        var aggregateText = allowAggregate ? t.String("aggregate") ?? "none" : "none";
        t.RejectUnknown();
        bool ok = true;
        var sensor = pack.Sensors.FirstOrDefault(s => s.Name == sensorName);
        if (sensor is null)
        {
            ok = Fail(t, "sensor", $"unknown sensor '{sensorName}' (declared: {string.Join(", ", pack.Sensors.Select(s => s.Name))})");
        }

        if (!ComparisonText.TryParse(opText, out var op))
        {
            ok = Fail(t, "op", $"unknown comparison '{opText}' (> >= < <= == !=)");
        }

        if (last < 1)
        {
            ok = Fail(t, "last", "'last' must be at least 1");
        }

        if (!Enum.TryParse<Aggregate>(aggregateText, ignoreCase: true, out var aggregate) || int.TryParse(aggregateText, out _))
        {
            ok = Fail(t, "aggregate", $"unknown aggregate '{aggregateText}' (none, sum, average, min, max)");
        }
        else if (sensor is not null && aggregate is Aggregate.Sum or Aggregate.Average && sensor.Kind is ValueKind.String or ValueKind.Timestamp)
        {
            ok = Fail(t, "aggregate", $"'{aggregateText}' needs a numeric sensor; '{sensorName}' is {sensor.Kind.ToString().ToLowerInvariant()}");
        }

        var value = default(EvValue);
        if (sensor is not null && valueText is not null)
        {
            var operandKind = aggregate == Aggregate.Average && sensor.Kind is ValueKind.Int or ValueKind.Bool ? ValueKind.Decimal : sensor.Kind;
            if (!EvValue.TryParse(operandKind, valueText, out value, out var error))
            {
                ok = Fail(t, "value", $"sensor '{sensorName}': {error}");
            }
        }

        return ok && valueText is not null ? new EvComparison(sensorName, op, value, t.At, last, aggregate) : null;
    }

    private static PolicyRule? Rule(YamlMap m, PackContext pack)
    {
        var name = m.String("name", required: true) ?? "";
        var owner = $"{pack.Owner} rule '{name}'";
        var from = m.Strings("from", required: true);
        var to = m.String("to", required: true) ?? "";
        var priority = m.Int("priority", int.MinValue);
        if (priority == int.MinValue && m.Node("priority") is null)
        {
            pack.Diagnostics.Error(m.At, $"{owner}: 'priority' is required (highest wins; equal priorities that can fire together are rejected)");
        }

        var window = m.Duration("window", required: true);
        var whenMap = m.Map("when", owner, required: true);
        var when = whenMap is null ? null : AlertCondition(whenMap, owner, pack.Diagnostics);
        var ev = m.Maps("ev", $"{owner} ev").Select(t => Comparison(t, pack, allowAggregate: false)).OfType<EvComparison>().ToList();
        var group = m.Maps("group", $"{owner} group").Select(g => Group(g, pack.Diagnostics)).OfType<GroupStateCondition>().ToList();
        var commands = m.Maps("commands", $"{owner} command").Select(c => Command(c, pack)).OfType<CommandAction>().ToList();
        var sampling = m.Duration("sampling");
        m.RejectUnknown();
        foreach (var (state, at) in from.Where(f => !pack.States.Contains(f.Value)))
        {
            var near = Spelling.Closest(state, pack.States);
            pack.Diagnostics.Error(at, $"{owner}: unknown state '{state}'{Spelling.Hint(near)} (states: {string.Join(", ", pack.States)})", near);
        }

        if (to.Length > 0 && !pack.States.Contains(to))
        {
            var near = Spelling.Closest(to, pack.States);
            pack.Diagnostics.Error(m.SpanOf("to"), $"{owner}: unknown state '{to}'{Spelling.Hint(near)} (states: {string.Join(", ", pack.States)})", near);
        }

        return when is null || window is null
            ? null
            : new PolicyRule(name, from.Select(f => f.Value).ToList(), to, priority, window.Value, when, ev, group, commands, sampling, m.SpanOf("name"));
    }

    /// <summary><c>{alert: T, min: N}</c> or <c>{all: [...]}</c> / <c>{any: [...]}</c>, nested to any depth.</summary>
    private static AlertExpr? AlertCondition(YamlMap m, string owner, DiagnosticBag diagnostics)
    {
        var alert = m.String("alert");
        var all = m.Maps("all", owner);
        var any = m.Maps("any", owner);
        long min = m.Int("min", 1);
        m.RejectUnknown();
        int forms = (alert is null ? 0 : 1) + (all.Count > 0 ? 1 : 0) + (any.Count > 0 ? 1 : 0);
        if (forms != 1)
        {
            diagnostics.Error(m.At, $"{owner}: a condition is exactly one of {{alert: TYPE, min: N}}, {{all: [...]}} or {{any: [...]}}");
            return null;
        }

        if (alert is not null)
        {
            if (min < 1)
            {
                diagnostics.Error(m.SpanOf("min"), $"{owner}: 'min' must be at least 1");
                return null;
            }

            return new AlertCount(alert, min, m.SpanOf("alert"));
        }

        var items = (all.Count > 0 ? all : any).Select(i => AlertCondition(i, owner, diagnostics)).ToList();
        return items.Any(i => i is null) ? null : new AlertCombination(all.Count > 0 ? Combine.All : Combine.Any, items!, m.At);
    }

    private static GroupStateCondition? Group(YamlMap g, DiagnosticBag diagnostics)
    {
        var type = g.String("type");
        var state = g.String("state", required: true);
        var min = g.Int("min", 1);
        g.RejectUnknown();
        if (min < 1)
        {
            diagnostics.Error(g.SpanOf("min"), $"{g.Owner}: 'min' must be at least 1");
            return null;
        }

        return state is null ? null : new GroupStateCondition(type, state, min, g.At);
    }

    private static CommandAction? Command(YamlMap c, PackContext pack)
    {
        var command = c.String("command", required: true);
        var to = c.String("to") ?? "self";
        var type = c.String("type");
        c.RejectUnknown();
        if (command is null)
        {
            return null;
        }

        switch (to)
        {
            case "self":
                if (type is not null)
                {
                    pack.Diagnostics.Error(c.SpanOf("type"), $"{c.Owner}: 'type' applies only to 'to: group'");
                }

                if (!pack.Commands.Contains(command))
                {
                    pack.Diagnostics.Error(c.SpanOf("command"), $"{c.Owner}: unknown command '{command}' (commands: {string.Join(", ", pack.Commands)})");
                }

                return new CommandAction(command, CommandTarget.Self, null, c.SpanOf("command"));
            case "group":
                if (type is null)
                {
                    pack.Diagnostics.Error(c.At, $"{c.Owner}: 'to: group' needs the members' 'type' (commands belong to a device type)");
                    return null;
                }

                return new CommandAction(command, CommandTarget.Group, type, c.SpanOf("command"));
            default:
                pack.Diagnostics.Error(c.SpanOf("to"), $"{c.Owner}: 'to' is 'self' or 'group', got '{to}'");
                return null;
        }
    }

    private static bool Fail(YamlMap m, string key, string message)
    {
        m.Diagnostics.Error(m.SpanOf(key), $"{m.Owner}: {message}");
        return false;
    }

    private static void ReportDuplicates(List<(string Value, SourceSpan At)> items, string owner, string what, DiagnosticBag diagnostics)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (value, at) in items.Where(i => !seen.Add(i.Value)))
        {
            diagnostics.Error(at, $"{owner}: {what} '{value}' is declared twice");
        }
    }

    private sealed record PackContext(string Owner, List<SensorDef> Sensors, List<string> States, HashSet<string> Commands, DiagnosticBag Diagnostics);
}
