using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated ip-block configuration; <see cref="AlertType"/> is null when alerts are off.</summary>
public sealed record IpBlockConfig(AddressSet Block, DirectionMatch Direction, string? AlertType, long AlertWindowMicros, int MaxSources);

/// <summary>
/// Drops IP and ARP frames whose remote address (source of inbound, destination of outbound) is in a static
/// list of addresses and CIDR blocks, in direction <c>dir</c> (default <c>any</c>). With <c>alert: true</c> it
/// raises <c>alert-type</c> (default <c>abnormal-egress</c>) once per blocked address per <c>alert-window</c>
/// (default 10s), the count saying how many frames the alert stands for.
/// <code>ip-block(block: [203.0.113.0/24, 198.51.100.7], dir: any, alert: true)</code>
/// </summary>
public sealed class IpBlock(IpBlockConfig config) : Element
{
    public const string ElementName = "ip-block";
    private static readonly string[] AlertTypeNames = [.. AlertTypes.BuiltIn.Order(StringComparer.Ordinal)];

    private readonly BoundedTable<UInt128, AlertAggregator>? _gates = config.AlertType is null ? null : new(config.MaxSources);

    public IpBlockConfig Config { get; } = config;

    public long Blocked { get; private set; }

    public long Malformed { get; private set; }

    public static IElementSpec? Compile(ElementArgs args)
    {
        var blockNode = args.Required("block", "addresses");
        var block = blockNode is null ? null : MatchArgs.Addresses(args, blockNode, "block");
        foreach (var item in blockNode?.AsList() ?? [])
        {
            if (item.Kind == ArgKind.Scalar && item.Text.Trim() is "any" or "*")
            {
                args.Error(item.At, "'block: any' would drop everything; use block-all for that");
            }
        }

        var dir = MatchArgs.Direction(args);
        bool alert = args.Bool("alert", false);
        string alertType = args.Choice("alert-type", AlertTypes.AbnormalEgress, AlertTypeNames);
        long alertWindow = args.DurationMicros("alert-window", 10_000_000, 1_000);
        int maxSources = (int)args.Int("max-sources", RateLimit.DefaultMaxSources, 1, 1_000_000);
        if (!alert)
        {
            foreach (var key in (ReadOnlySpan<string>)["alert-type", "alert-window", "max-sources"])
            {
                if (args.Has(key))
                {
                    args.Error(args.Node(key)!.At, $"'{key}' only applies with 'alert: true'");
                }
            }
        }

        return block is null
            ? null
            : new ElementSpec<IpBlockConfig>(ElementName, new IpBlockConfig(block, dir, alert ? alertType : null, alertWindow, maxSources), static c => new IpBlock(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            Malformed++;
            return Verdict.Drop;
        }

        if (!(frame.IsIp || frame.IsArp) || !Config.Direction.Matches(frame.Direction))
        {
            return Verdict.Forward;
        }

        var remote = frame.RemoteIp();
        if (!Config.Block.Contains(remote))
        {
            return Verdict.Forward;
        }

        Blocked++;
        if (_gates is not null)
        {
            long now = frame.TimestampMicros;
            ref var gate = ref _gates.GetOrAdd(remote, now, out _);
            int count = gate.Occurred(now, Config.AlertWindowMicros);
            if (count > 0)
            {
                string way = frame.Direction == Direction.FromDevice ? "to" : "from";
                context.Raise(Config.AlertType!, $"blocked {way} {Ip.Format(remote)} (block list)", count: count);
            }
        }

        return Verdict.Drop;
    }
}
