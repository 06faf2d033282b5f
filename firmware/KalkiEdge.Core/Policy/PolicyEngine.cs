namespace KalkiEdge.Core.Policy;

/// <summary>What the engine needs to know about the rest of the statespace (other devices, latest readings).</summary>
public interface IPolicyEnvironment
{
    /// <summary>Latest value of a device's sensor, or null when none was read yet.</summary>
    EvValue? Latest(string device, string sensor);

    /// <summary>Other members of the device's group (optionally of one type) currently in <paramref name="state"/>.</summary>
    int GroupMembersInState(string device, string? type, string state);
}

/// <summary>A rule fired: the transition (possibly to the same state) and the actions to carry out.</summary>
public sealed record PolicyDecision(
    string Device,
    string Rule,
    string From,
    string To,
    Alert Stimulus,
    IReadOnlyList<CommandAction> Commands,
    long? SamplingIntervalMicros)
{
    public bool ChangesState => From != To;
}

/// <summary>Per-device policy state: current security state, recent alerts, what each rule already acted on.</summary>
public sealed class DevicePolicyState
{
    private readonly int _historyCapacity;

    internal DevicePolicyState(string device, CompiledPolicy policy, string state, int historyCapacity)
    {
        Device = device;
        Policy = policy;
        State = state;
        _historyCapacity = historyCapacity;
    }

    public string Device { get; }

    public CompiledPolicy Policy { get; }

    public string State { get; internal set; }

    // The history and both arrays are made at the first alert a rule can use: most of 10,000 devices never see one.

    /// <summary>The device's recent alerts (made by the evaluating thread at its first alert).</summary>
    public AlertHistory History => field ??= new AlertHistory(_historyCapacity);

    /// <summary>Per rule: the sequence of the last alert it acted on; alerts up to it never count for it again.</summary>
    internal long[] ActedUpTo => field ??= new long[Policy.Pack.Rules.Count];

    /// <summary>Scratch space for per-type counts (evaluation is single-threaded per device).</summary>
    internal long[] Counts => field ??= new long[Policy.TypeCount];
}

/// <summary>
/// A pack's rules prepared for evaluation: indexed by the alert types that can make them true (so an alert is only
/// checked against rules that mention its type), in precedence order — priority descending, then declaration order.
/// </summary>
public sealed class CompiledPolicy
{
    private readonly Dictionary<string, int> _typeIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Rule, PolicyRule Def)[]> _byType = new(StringComparer.Ordinal);

    public CompiledPolicy(DeviceTypePack pack)
    {
        Pack = pack;
        var byType = new Dictionary<string, List<(int, PolicyRule)>>(StringComparer.Ordinal);
        for (int i = 0; i < pack.Rules.Count; i++)
        {
            foreach (var type in pack.Rules[i].When.Leaves().Select(l => l.Type).Distinct())
            {
                _typeIds.TryAdd(type, _typeIds.Count);
                if (!byType.TryGetValue(type, out var list))
                {
                    byType[type] = list = [];
                }

                list.Add((i, pack.Rules[i]));
            }
        }

        foreach (var (type, list) in byType)
        {
            _byType[type] = [.. list.OrderByDescending(r => r.Item2.Priority).ThenBy(r => r.Item1)];
        }
    }

    public DeviceTypePack Pack { get; }

    internal int TypeCount => _typeIds.Count;

    internal bool TryGetType(string type, out int id) => _typeIds.TryGetValue(type, out id);

    internal int TypeId(string type) => _typeIds[type];

    internal (int Rule, PolicyRule Def)[] RulesFor(string type) => _byType.TryGetValue(type, out var r) ? r : [];
}

/// <summary>
/// Evaluates alerts against a device's policy. Pure and single-threaded per device: the control plane calls it from
/// its evaluation loop. <c>state-reset</c> (operator) always returns the device to its pack's initial state.
/// </summary>
public sealed class PolicyEngine(IPolicyEnvironment environment, int historyCapacity = 256)
{
    public const string StateResetRule = "state-reset";

    public static DevicePolicyState NewState(string device, CompiledPolicy policy, string? state = null, int historyCapacity = 256) =>
        new(device, policy, state ?? policy.Pack.Initial, historyCapacity);

    public DevicePolicyState CreateState(string device, CompiledPolicy policy, string? state = null) =>
        NewState(device, policy, state, historyCapacity);

    /// <summary>Records <paramref name="alert"/> and returns the decision of the highest-precedence rule it makes true.</summary>
    public PolicyDecision? Evaluate(DevicePolicyState device, Alert alert)
    {
        var policy = device.Policy;
        if (alert.Type == AlertTypes.StateReset)
        {
            return Reset(device, alert);
        }

        if (!policy.TryGetType(alert.Type, out var typeId))
        {
            return null; // no rule can be made true by this alert type
        }

        device.History.Record(typeId, alert.TimeMicros, Math.Max(1, alert.Count));
        var counts = device.Counts;
        Func<string, long> count = t => counts[policy.TypeId(t)];
        foreach (var (index, rule) in policy.RulesFor(alert.Type))
        {
            if (!rule.From.Contains(device.State))
            {
                continue;
            }

            device.History.CountInto(counts, alert.TimeMicros, rule.WindowMicros, device.ActedUpTo[index]);
            if (!rule.When.Holds(count) || !EvHolds(device, rule) || !GroupHolds(device, rule))
            {
                continue;
            }

            device.ActedUpTo[index] = device.History.Sequence;
            var from = device.State;
            device.State = rule.To;
            return new PolicyDecision(device.Device, rule.Name, from, rule.To, alert, rule.Commands, rule.SamplingIntervalMicros);
        }

        return null;
    }

    /// <summary>Puts a device into a state directly (restoring from the store); history is kept.</summary>
    public static void Restore(DevicePolicyState device, string state) => device.State = state;

    private static PolicyDecision Reset(DevicePolicyState device, Alert alert)
    {
        // The operator starts the device afresh: alerts seen so far never fire any rule again.
        Array.Fill(device.ActedUpTo, device.History.Sequence);
        var from = device.State;
        device.State = device.Policy.Pack.Initial;
        return new PolicyDecision(device.Device, StateResetRule, from, device.State, alert, [], null);
    }

    private bool EvHolds(DevicePolicyState device, PolicyRule rule)
    {
        foreach (var c in rule.Ev)
        {
            if (environment.Latest(device.Device, c.Sensor) is not { } v || !v.Satisfies(c.Op, c.Value))
            {
                return false;
            }
        }

        return true;
    }

    private bool GroupHolds(DevicePolicyState device, PolicyRule rule)
    {
        foreach (var g in rule.Group)
        {
            if (environment.GroupMembersInState(device.Device, g.Type, g.State) < g.Min)
            {
                return false;
            }
        }

        return true;
    }
}
