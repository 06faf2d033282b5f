using KalkiEdge.Core;
using KalkiEdge.Core.Policy;

namespace KalkiEdge.ControlPlane.Packs;

/// <summary>
/// <c>kalki-edge check</c> for packs: unknown names (alert types, states of other types, group member types,
/// commands, images), unreachable states, rules that can never fire, equal-priority rules that can fire on the same
/// input. Every problem goes to the bag with its file and line.
/// </summary>
public static class PackChecker
{
    /// <param name="imageChain">The chain text of an image, or null when no such image exists.</param>
    public static void Check(IReadOnlyList<DeviceTypePack> packs, Func<string, string?> imageChain, DiagnosticBag diagnostics)
    {
        var byName = new Dictionary<string, DeviceTypePack>(StringComparer.Ordinal);
        foreach (var pack in packs)
        {
            if (!byName.TryAdd(pack.Name, pack))
            {
                diagnostics.Error(pack.At, $"device type '{pack.Name}' is defined twice (also at {byName[pack.Name].At.File})");
            }
        }

        foreach (var pack in packs)
        {
            CheckPack(pack, byName, imageChain, diagnostics);
        }
    }

    private static void CheckPack(DeviceTypePack pack, Dictionary<string, DeviceTypePack> packs, Func<string, string?> imageChain, DiagnosticBag diagnostics)
    {
        var owner = $"pack '{pack.Name}'";
        var chains = string.Join("\n", pack.Chains.Select(c => imageChain(c.Image)).OfType<string>());
        foreach (var chain in pack.Chains.Where(c => imageChain(c.Image) is null))
        {
            diagnostics.Error(chain.At, $"{owner}: state '{chain.State}' uses image '{chain.Image}', which does not exist");
        }

        foreach (var condition in pack.TelemetryAlerts.Where(c => !pack.AlertTypes.Contains(c.AlertType)))
        {
            diagnostics.Error(condition.At, $"{owner}: telemetry alert '{condition.AlertType}' is not declared in alert-types");
        }

        foreach (var rule in pack.Rules)
        {
            CheckNames(pack, rule, packs, diagnostics);
        }

        var reachable = ReachableStates(pack, chains);
        foreach (var state in pack.States.Where(s => !reachable.Contains(s)))
        {
            diagnostics.Error(pack.At, $"{owner}: state '{state}' is unreachable from '{pack.Initial}': no rule leads to it");
        }

        foreach (var rule in pack.Rules)
        {
            if (NeverFires(pack, rule, reachable, chains) is { } why)
            {
                diagnostics.Error(rule.At, $"{owner} rule '{rule.Name}' can never fire: {why}");
            }
        }

        CheckPriorityTies(pack, diagnostics);
    }

    private static void CheckNames(DeviceTypePack pack, PolicyRule rule, Dictionary<string, DeviceTypePack> packs, DiagnosticBag diagnostics)
    {
        var owner = $"pack '{pack.Name}' rule '{rule.Name}'";
        foreach (var leaf in rule.When.Leaves().Where(l => !pack.KnowsAlertType(l.Type)))
        {
            diagnostics.Error(leaf.At, $"{owner}: unknown alert type '{leaf.Type}' (built in, or declare it in alert-types)");
        }

        foreach (var g in rule.Group)
        {
            if (g.Type is null)
            {
                continue;
            }

            if (!packs.TryGetValue(g.Type, out var member))
            {
                diagnostics.Error(g.At, $"{owner}: unknown device type '{g.Type}' in group condition");
            }
            else if (!member.States.Contains(g.State))
            {
                diagnostics.Error(g.At, $"{owner}: device type '{g.Type}' has no state '{g.State}'");
            }
        }

        foreach (var g in rule.Group.Where(g => g.Type is null && !packs.Values.Any(p => p.States.Contains(g.State))))
        {
            diagnostics.Error(g.At, $"{owner}: no device type has state '{g.State}'");
        }

        foreach (var c in rule.Commands.Where(c => c.Target == CommandTarget.Group))
        {
            if (!packs.TryGetValue(c.MemberType!, out var member))
            {
                diagnostics.Error(c.At, $"{owner}: unknown device type '{c.MemberType}' for a group command");
            }
            else if (!member.Commands.Any(m => m.Name == c.Command))
            {
                diagnostics.Error(c.At, $"{owner}: device type '{c.MemberType}' has no command '{c.Command}'");
            }
        }
    }

    /// <summary>States reachable from the initial one through rules (state-reset only returns to the initial state).</summary>
    public static HashSet<string> ReachableStates(DeviceTypePack pack, string chainTexts)
    {
        var reachable = new HashSet<string>(StringComparer.Ordinal) { pack.Initial };
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var rule in pack.Rules.Where(r => r.From.Any(reachable.Contains) && NeverFiresByCondition(pack, r, chainTexts) is null))
            {
                grew |= reachable.Add(rule.To);
            }
        }

        return reachable;
    }

    private static string? NeverFires(DeviceTypePack pack, PolicyRule rule, HashSet<string> reachable, string chainTexts)
    {
        if (!rule.From.Any(reachable.Contains))
        {
            return $"none of its from-states ({string.Join(", ", rule.From)}) is reachable";
        }

        if (NeverFiresByCondition(pack, rule, chainTexts) is { } why)
        {
            return why;
        }

        if (rule.From.Count == 1 && rule.From[0] == rule.To && rule.Commands.Count == 0 && rule.SamplingIntervalMicros is null)
        {
            return "it stays in its state and has no action";
        }

        var shadow = pack.Rules.FirstOrDefault(other => other != rule && Shadows(other, rule));
        return shadow is null ? null : $"rule '{shadow.Name}' has higher priority, the same condition and covers all its from-states";
    }

    /// <summary>Reasons inside the rule itself: alert types nothing raises, contradictory EV comparisons.</summary>
    private static string? NeverFiresByCondition(DeviceTypePack pack, PolicyRule rule, string chainTexts)
    {
        // Pack-defined alert types come from the pack's telemetry conditions or from elements of its images that
        // are configured to raise them (the type name then appears in the chain text).
        var silent = rule.When.Leaves()
            .Where(l => pack.AlertTypes.Contains(l.Type) && pack.TelemetryAlerts.All(t => t.AlertType != l.Type)
                && !chainTexts.Contains(l.Type, StringComparison.Ordinal))
            .Select(l => l.Type).ToHashSet(StringComparer.Ordinal);
        if (silent.Count > 0 && !rule.When.Holds(t => silent.Contains(t) ? 0 : long.MaxValue))
        {
            return $"alert type(s) {string.Join(", ", silent)} are raised by no telemetry condition and no image of the pack";
        }

        return Contradiction(rule.Ev) is { } c ? $"its EV comparisons contradict each other ({c})" : null;
    }

    /// <summary>
    /// Rules of equal priority that could both be made true by the same alert in the same state make precedence
    /// depend on declaration order: rejected, unless their EV comparisons exclude each other.
    /// </summary>
    private static void CheckPriorityTies(DeviceTypePack pack, DiagnosticBag diagnostics)
    {
        for (int i = 0; i < pack.Rules.Count; i++)
        {
            for (int j = i + 1; j < pack.Rules.Count; j++)
            {
                var (a, b) = (pack.Rules[i], pack.Rules[j]);
                if (a.Priority != b.Priority)
                {
                    continue;
                }

                var state = a.From.FirstOrDefault(b.From.Contains);
                var type = a.When.Leaves().Select(l => l.Type).FirstOrDefault(t => b.When.Leaves().Any(l => l.Type == t));
                if (state is null || type is null || Contradiction([.. a.Ev, .. b.Ev]) is not null)
                {
                    continue;
                }

                diagnostics.Error(b.At, $"pack '{pack.Name}': rules '{a.Name}' and '{b.Name}' have equal priority {a.Priority} and can fire on the same input (a '{type}' alert in state {state}); give them different priorities");
            }
        }
    }

    /// <summary><paramref name="high"/> always wins over <paramref name="low"/>, so <paramref name="low"/> never fires.</summary>
    private static bool Shadows(PolicyRule high, PolicyRule low) =>
        high.Priority > low.Priority
        && low.From.All(high.From.Contains)
        && high.WindowMicros >= low.WindowMicros
        && high.Ev.Count == 0 && high.Group.Count == 0
        && Canonical(high.When) == Canonical(low.When);

    private static string Canonical(AlertExpr e) => e switch
    {
        AlertCount c => $"{c.Type}>={c.Min}",
        AlertCombination m => $"{m.Combine}(" + string.Join(",", m.Items.Select(Canonical).Order(StringComparer.Ordinal)) + ")",
        _ => "?",
    };

    /// <summary>
    /// Finds two comparisons on one sensor that no value satisfies together. Each comparison is satisfied on an
    /// interval bounded by its constant, so testing the constants, points just beside them and their midpoint is
    /// enough to find a common value when one exists.
    /// </summary>
    public static string? Contradiction(IReadOnlyList<EvComparison> terms)
    {
        for (int i = 0; i < terms.Count; i++)
        {
            for (int j = i + 1; j < terms.Count; j++)
            {
                var (a, b) = (terms[i], terms[j]);
                if (a.Sensor == b.Sensor && !Candidates(a.Value, b.Value).Any(v => v.Satisfies(a.Op, a.Value) && v.Satisfies(b.Op, b.Value)))
                {
                    return $"{a.Sensor} {ComparisonText.Format(a.Op)} {a.Value} and {ComparisonText.Format(b.Op)} {b.Value}";
                }
            }
        }

        return null;
    }

    private static IEnumerable<EvValue> Candidates(EvValue x, EvValue y)
    {
        switch (x.Kind)
        {
            case ValueKind.String:
                return [x, y, EvValue.Of(x.Text + "\0"), EvValue.Of(y.Text + "\0"), EvValue.Of(""), EvValue.Of("\uffff\uffff")];
            case ValueKind.Bool:
                return [EvValue.Of(false), EvValue.Of(true)];
            case ValueKind.Decimal:
                const decimal Step = 0.000001m;
                return new[] { x.Decimal, y.Decimal, x.Decimal - Step, x.Decimal + Step, y.Decimal - Step, y.Decimal + Step, (x.Decimal + y.Decimal) / 2 }.Select(EvValue.Of);
            default:
                return new[] { x.Number, y.Number, x.Number - 1, x.Number + 1, y.Number - 1, y.Number + 1, (x.Number / 2) + (y.Number / 2) }
                    .Select(n => x with { Number = n });
        }
    }
}
