using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Application;
using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated egress-guard arguments.</summary>
public sealed record EgressGuardConfig(EgressAllowList AllowList, bool Block, long AlertWindowMicros);

/// <summary>
/// KalKi u6 (COMPROMISE): a device may send IP traffic only to the destinations of its allow-list, or from its
/// own service ports (<c>lports</c>, replies of the services it offers). Anything else raises
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
    private AlertAggregatorState _alerts;

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
        return new ElementSpec<EgressGuardConfig>("egress-guard", new EgressGuardConfig(new EgressAllowList(rules, lports), block, alertWindow), static c => new EgressGuard(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            return Verdict.Drop;
        }

        if (frame.Direction != Direction.FromDevice || !frame.IsIp || config.AllowList.Allows(frame))
        {
            return Verdict.Forward;
        }

        int count = AlertAggregator.Occurred(ref _alerts, frame.TimestampMicros, config.AlertWindowMicros);
        if (count > 0)
        {
            context.Raise(AlertTypes.AbnormalEgress, Describe(frame, count), count: count);
        }

        return config.Block ? Verdict.Drop : Verdict.Forward;
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
