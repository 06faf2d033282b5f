using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Application;
using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated egress-guard arguments.</summary>
public sealed record EgressGuardConfig(EgressAllowList AllowList, bool Block, long AlertWindowMicros, int MaxFlows, long FlowTimeoutMicros);

/// <summary>
/// KalKi u6 (COMPROMISE): a device may open flows only to the destinations of its allow-list, or from its
/// own service ports (<c>lports</c>). Egress is a flow the device opened: its answers to traffic from outside —
/// packets of a flow the remote side opened, TCP RST and SYN/ACK, ICMP errors and echo replies — are never
/// egress, so probing a device cannot make it look compromised. Flows are followed in both directions in a
/// bounded table (<c>max-flows</c>, default 4096, oldest evicted; <c>flow-timeout</c>, default 2min idle); a
/// device flow whose entry was evicted is judged again by the allow-list (fail closed). Anything else raises
/// <c>abnormal-egress</c> — once per <c>alert-window</c> (default 100ms) for the device, whatever the
/// destination (a scan of many hosts stays one alert per period), the count aggregating the offending frames —
/// and is dropped with <c>block: true</c>. Traffic toward the device and non-IP frames
/// (ARP, layer 2 is the firewall's job) pass. Entries use the firewall's match words: <c>remote</c>
/// (address/CIDR or list, default any), <c>proto</c> (tcp, udp, icmp — ICMP and ICMPv6 —, ip or any),
/// <c>rport</c> and <c>lport</c> (port, range or list; need proto tcp or udp). IPv4 fragments after the first
/// carry no ports, so they match only entries without ports.
/// <code>egress-guard(allow: [{remote: 198.51.100.0/24, rport: 443, proto: tcp}, {rport: 53, proto: udp}], lports: [80], block: true, alert-window: 1s)</code>
/// </summary>
public sealed class EgressGuard(EgressGuardConfig config) : Element
{
    private readonly FlowTracker _flows = new(config.MaxFlows, config.FlowTimeoutMicros);
    private AlertAggregator _alerts;

    public FlowTracker Flows => _flows;

    public static IElementSpec? Compile(ElementArgs args)
    {
        var rules = new List<TrafficMatch>();
        var allowNode = args.Required("allow", "list of matches");
        if (allowNode is not null)
        {
            foreach (var item in allowNode.AsList())
            {
                if (ParseRule(args, item) is { } rule)
                {
                    rules.Add(rule);
                }
            }
        }

        var lports = MatchArgs.Ports(args, "lports");
        bool block = args.Bool("block", false);
        long alertWindow = CommonArgs.AlertWindowArg(args);
        int maxFlows = (int)args.Int("max-flows", Firewall.DefaultMaxFlows, 1, 1_000_000);
        long flowTimeout = args.DurationMicros("flow-timeout", Firewall.DefaultFlowTimeoutMicros, 1_000);
        var config = new EgressGuardConfig(new EgressAllowList(rules, lports), block, alertWindow, maxFlows, flowTimeout);
        return new ElementSpec<EgressGuardConfig>("egress-guard", config, static c => new EgressGuard(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            return Verdict.Drop;
        }

        if (!frame.IsIp || !IsEgress(frame) || config.AllowList.Allows(frame))
        {
            return Verdict.Forward;
        }

        int count = _alerts.Occurred(frame.TimestampMicros, config.AlertWindowMicros);
        if (count > 0)
        {
            context.Raise(AlertTypes.AbnormalEgress, Describe(frame, count), count: count);
        }

        return config.Block ? Verdict.Drop : Verdict.Forward;
    }

    /// <summary>True for a device packet of a flow the device opened (or that cannot be placed in a flow).</summary>
    private bool IsEgress(Frame frame)
    {
        if (!FlowKey.TryCreate(frame, out var key))
        {
            return frame.Direction == Direction.FromDevice;
        }

        var initiator = _flows.Track(frame, key, out _);
        return frame.Direction == Direction.FromDevice && initiator == Direction.FromDevice && !IsAnswer(frame);
    }

    /// <summary>Packets that only ever answer someone else's packet: they cannot open a conversation.</summary>
    private static bool IsAnswer(Frame frame)
    {
        if (frame.IsTcp)
        {
            var flags = frame.TcpFlags;
            return (flags & TcpFlags.Rst) != 0 || (flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack);
        }

        if (!frame.IsIcmp)
        {
            return false;
        }

        byte type = frame.Buffer[frame.L4Offset];
        return frame.IpProtocol == IpProtocols.Icmp
            ? type is 0 or 3 or 11 or 12 // echo reply, unreachable, time exceeded, parameter problem
            : type is 1 or 2 or 3 or 4 or 129; // ICMPv6: unreachable, too big, time exceeded, parameter problem, echo reply
    }

    private static TrafficMatch? ParseRule(ElementArgs args, ArgNode item)
    {
        var entry = args.Map(item, "allow entry");
        if (entry is null)
        {
            return null;
        }

        if (item.Entries.Count == 0)
        {
            args.Error(item.At, "an empty allow entry would allow everything; write {remote: any} if that is meant");
            return null;
        }

        if (entry.Has("dir"))
        {
            entry.Error(entry.Node("dir")!.At, "allow entries are device-originated by definition; remove 'dir'");
        }

        var match = MatchArgs.Traffic(entry, DirectionMatch.Out);
        entry.RejectUnknown();
        return match;
    }

    private string Describe(Frame frame, int count)
    {
        var proto = frame.IpProtocol switch
        {
            IpProtocols.Tcp => "tcp",
            IpProtocols.Udp => "udp",
            IpProtocols.Icmp or IpProtocols.IcmpV6 => "icmp",
            var p => $"ip proto {p}",
        };
        var flow = frame.IsTcp || frame.IsUdp
            ? $"{proto} {Endpoint(frame.SrcIp, frame.SrcPort)} -> {Endpoint(frame.DstIp, frame.DstPort)}"
            : $"{proto} {Ip.Format(frame.SrcIp)} -> {Ip.Format(frame.DstIp)}";
        var action = config.Block ? "dropped" : "forwarded";
        return $"device traffic outside its allow-list: {flow} ({count} frame(s) in this report, {action})";
    }

    private static string Endpoint(UInt128 ip, ushort port) => Ip.IsV4(ip) ? $"{Ip.Format(ip)}:{port}" : $"[{Ip.Format(ip)}]:{port}";
}
