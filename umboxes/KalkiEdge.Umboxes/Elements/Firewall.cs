using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>One firewall rule: allow or deny what its match selects.</summary>
public sealed record FirewallRule(bool Allow, TrafficMatch Match);

/// <summary>Validated firewall configuration, shared by every device's instance.</summary>
public sealed record FirewallConfig(FirewallRule[] Rules, bool DefaultAllow, bool Stateful, int MaxFlows, long FlowTimeoutMicros);

/// <summary>
/// Allow/deny by direction, protocol, remote address and ports; first matching rule wins, otherwise
/// <c>default</c>. With <c>stateful: true</c>, a packet a rule (or the default) allowed opens a flow, and
/// later packets of that flow in either direction pass without consulting the rules — so
/// <c>allow out tcp rport 443</c> plus <c>default: drop</c> lets the server's replies in but nothing
/// unsolicited. Flows live in a bounded table (<c>max-flows</c>, oldest evicted) and end on RST, on FIN from
/// both sides, or after <c>flow-timeout</c> of idleness. Frames that are neither IP nor ARP follow
/// <c>default</c>; malformed frames are always dropped. Rule keys: <c>action: allow|deny</c> (required),
/// <c>dir: in|out|any</c>, <c>proto: tcp|udp|icmp|arp|ip|any</c>, <c>remote:</c> address/CIDR or list,
/// <c>lport:</c>/<c>rport:</c> port, range or list (tcp/udp only). <c>drop</c> is accepted for <c>deny</c>.
/// <code>firewall(default: drop, stateful: true, rules: [{action: allow, dir: out, proto: tcp, remote: 198.51.100.0/24, rport: 443}, {action: deny, proto: udp}])</code>
/// </summary>
public sealed class Firewall(FirewallConfig config) : Element
{
    public const string ElementName = "firewall";
    public const int DefaultMaxFlows = 4096;
    public const long DefaultFlowTimeoutMicros = 120_000_000;

    private static readonly string[] ActionWords = ["allow", "deny", "drop"];

    private readonly FirewallRule[] _rules = config.Rules;
    private readonly bool _defaultAllow = config.DefaultAllow;

    public FirewallConfig Config { get; } = config;

    /// <summary>Established-flow state; null when the firewall is stateless.</summary>
    public FlowTracker? Flows { get; } = config.Stateful ? new FlowTracker(config.MaxFlows, config.FlowTimeoutMicros) : null;

    /// <summary>Frames dropped because they could not be decoded.</summary>
    public long Malformed { get; private set; }

    public static IElementSpec? Compile(ElementArgs args)
    {
        bool defaultAllow = ParseAction(args, "default", "drop") == "allow";
        bool stateful = args.Bool("stateful", false);
        int maxFlows = (int)args.Int("max-flows", DefaultMaxFlows, 1, 1_000_000);
        long timeout = args.DurationMicros("flow-timeout", DefaultFlowTimeoutMicros, 1_000);
        if (!stateful)
        {
            foreach (var key in (ReadOnlySpan<string>)["max-flows", "flow-timeout"])
            {
                if (args.Has(key))
                {
                    args.Error(args.Node(key)!.At, $"'{key}' only applies with 'stateful: true'");
                }
            }
        }

        var rules = new List<FirewallRule>();
        foreach (var node in args.List("rules"))
        {
            var rule = args.Map(node, "rule");
            if (rule is null)
            {
                continue;
            }

            bool allow = rule.Required("action") is not null && ParseAction(rule, "action", "deny") == "allow";
            var match = MatchArgs.Traffic(rule);
            rule.RejectUnknown();
            rules.Add(new FirewallRule(allow, match));
        }

        return new ElementSpec<FirewallConfig>(ElementName, new FirewallConfig([.. rules], defaultAllow, stateful, maxFlows, timeout), static c => new Firewall(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            Malformed++;
            return Verdict.Drop;
        }

        if (!frame.IsIp && !frame.IsArp)
        {
            return _defaultAllow ? Verdict.Forward : Verdict.Drop;
        }

        var flows = Flows;
        FlowKey key = default;
        bool hasFlow = flows is not null && FlowKey.TryCreate(frame, out key);
        if (hasFlow && flows!.TryContinue(frame, key, out _))
        {
            return Verdict.Forward;
        }

        bool allow = _defaultAllow;
        var rules = _rules;
        for (int i = 0; i < rules.Length; i++)
        {
            if (rules[i].Match.Matches(frame))
            {
                allow = rules[i].Allow;
                break;
            }
        }

        if (!allow)
        {
            return Verdict.Drop;
        }

        if (hasFlow)
        {
            flows!.Open(frame, key);
        }

        return Verdict.Forward;
    }

    private static string ParseAction(ElementArgs args, string key, string fallback) =>
        args.Choice(key, fallback, ActionWords) == "allow" ? "allow" : "deny";
}
