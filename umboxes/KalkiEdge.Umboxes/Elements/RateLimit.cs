using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated rate-limit configuration. A limit of 0 is off.</summary>
public sealed record RateLimitConfig(
    long PacketsPerSecond,
    long Connections,
    long ConnectionWindowMicros,
    DirectionMatch Direction,
    SourcePrefix Prefix,
    int MaxSources,
    long AlertWindowMicros);

/// <summary>
/// Anti-DoS (KalKi u1: 5 connections per /32, 5000 pps). Per remote source — the remote IP address cut to
/// <c>prefix</c> (IPv4, default /32) or <c>prefix6</c> (IPv6, default /64) — two limits, each counted in fixed
/// windows of frame time that open at the source's first packet:
/// <list type="bullet">
/// <item><c>pps: N</c>: at most N IP packets per 1 s window; packet N+1 and later in the window are dropped.</item>
/// <item><c>connections: N</c>: at most N new TCP connections (SYN without ACK) per <c>window</c> (default 1s);
/// further SYNs in the window are dropped. Packets of connections already under way are not affected.</item>
/// </list>
/// Only IP packets in direction <c>dir</c> (default <c>in</c>) are limited; everything else passes. Over-limit
/// packets raise <c>flood</c> at most once per source per <c>alert-window</c> (default 10s); the alert's count
/// is the number of over-limit packets it stands for. Sources live in a bounded table (<c>max-sources</c>,
/// default 4096, least recently seen evicted and counted).
/// <code>rate-limit(pps: 5000, connections: 5, window: 1s, prefix: /32)</code>
/// </summary>
public sealed class RateLimit(RateLimitConfig config) : Element
{
    public const string ElementName = "rate-limit";
    public const int DefaultMaxSources = 4096;
    private const long PpsWindowMicros = 1_000_000;

    private readonly BoundedTable<UInt128, SourceState> _sources = new(config.MaxSources);

    public RateLimitConfig Config { get; } = config;

    public int TrackedSources => _sources.Count;

    public long SourceEvictions => _sources.Evictions;

    /// <summary>Packets dropped for exceeding a limit (malformed frames are counted in <see cref="Malformed"/>).</summary>
    public long OverLimit { get; private set; }

    public long Malformed { get; private set; }

    public static IElementSpec? Compile(ElementArgs args)
    {
        long pps = args.Int("pps", 0, 1, 100_000_000);
        long connections = args.Int("connections", 0, 1, 1_000_000);
        long window = args.DurationMicros("window", 1_000_000, 1_000);
        var dir = MatchArgs.Direction(args, "dir", DirectionMatch.In);
        var prefix = MatchArgs.Prefix(args);
        int maxSources = (int)args.Int("max-sources", DefaultMaxSources, 1, 1_000_000);
        long alertWindow = args.DurationMicros("alert-window", 10_000_000, 1_000);
        if (!args.Has("pps") && !args.Has("connections"))
        {
            args.Error(args.At, "give at least one limit: 'pps' (packets per second) or 'connections' (new TCP connections per window)");
        }

        if (args.Has("window") && !args.Has("connections"))
        {
            args.Error(args.Node("window")!.At, "'window' is the period of the 'connections' limit; it needs 'connections'");
        }

        return new ElementSpec<RateLimitConfig>(
            ElementName, new RateLimitConfig(pps, connections, window, dir, prefix, maxSources, alertWindow), static c => new RateLimit(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            Malformed++;
            return Verdict.Drop;
        }

        var config = Config;
        if (!frame.IsIp || !config.Direction.Matches(frame.Direction))
        {
            return Verdict.Forward;
        }

        long now = frame.TimestampMicros;
        var source = config.Prefix.Apply(frame.RemoteIp());
        ref var state = ref _sources.GetOrAdd(source, now, out _);

        long packets = state.Packets.Add(now, PpsWindowMicros);
        if (config.PacketsPerSecond > 0 && packets > config.PacketsPerSecond)
        {
            return OverLimitDrop(ref state, context, source, now, "pps", packets, config.PacketsPerSecond, PpsWindowMicros);
        }

        if (config.Connections > 0 && frame.IsTcp && (frame.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn)
        {
            long opened = state.Connections.Add(now, config.ConnectionWindowMicros);
            if (opened > config.Connections)
            {
                return OverLimitDrop(ref state, context, source, now, "connections", opened, config.Connections, config.ConnectionWindowMicros);
            }
        }

        return Verdict.Forward;
    }

    private Verdict OverLimitDrop(ref SourceState state, ElementContext context, UInt128 source, long now, string limit, long seen, long max, long window)
    {
        OverLimit++;
        int count = state.Alert.Occurred(now, Config.AlertWindowMicros);
        if (count > 0)
        {
            string what = limit == "pps" ? "packets" : "new TCP connections";
            context.Raise(
                AlertTypes.Flood,
                $"{Config.Prefix.Format(source)}: {seen} {what} within {Duration.Format(window)}, over the {limit} limit of {max}",
                count: count);
        }

        return Verdict.Drop;
    }

    private struct SourceState
    {
        public FixedWindowCounter Packets;
        public FixedWindowCounter Connections;
        public AlertAggregator Alert;
    }
}
