using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated port-scan configuration.</summary>
public sealed record PortScanConfig(int Ports, long WindowMicros, bool Block, long BlockForMicros, SourcePrefix Prefix, int MaxSources);

/// <summary>
/// Detects TCP scans toward the device (KalKi u12 used Snort for XMAS scans). Per remote source (cut to
/// <c>prefix</c>, default /32), within a fixed <c>window</c> (default 10s) opened by the source's first probe:
/// <list type="bullet">
/// <item><c>distinct-ports</c>: connection attempts (SYN without ACK) or stealth probes to <c>ports</c>
/// (default 20) distinct device ports;</item>
/// <item><c>xmas</c> (FIN+PSH+URG without ACK), <c>null</c> (no flags) and <c>fin</c> (FIN alone): each such
/// probe is a scan signature by itself — no TCP stack sends them in normal operation.</item>
/// </list>
/// A detection raises <c>port-scan</c> at most once per source per window (info names the kind; the count
/// says how many detections it stands for). With <c>block: true</c> the detecting probe and every later frame
/// from the source are dropped for <c>block-for</c> (default 60s). Only inbound TCP is examined; sources live in
/// a bounded table (<c>max-sources</c>, default 4096). Other traffic passes untouched.
/// <code>port-scan(ports: 20, window: 10s, block: true, block-for: 5min)</code>
/// </summary>
public sealed class PortScan(PortScanConfig config) : Element
{
    public const string ElementName = "port-scan";

    private const TcpFlags Core6 = TcpFlags.Fin | TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Psh | TcpFlags.Ack | TcpFlags.Urg;
    private const TcpFlags XmasFlags = TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Urg;

    private readonly BoundedTable<UInt128, SourceState> _sources = new(config.MaxSources);

    private enum ProbeKind : byte
    {
        None,
        Connect,
        Xmas,
        Null,
        Fin,
    }

    public PortScanConfig Config { get; } = config;

    /// <summary>Probes that completed a detection (signature probes, or probes at or past the port threshold).</summary>
    public long Detections { get; private set; }

    /// <summary>Frames dropped because their source was blocked as a scanner.</summary>
    public long BlockedFrames { get; private set; }

    public long Malformed { get; private set; }

    public int TrackedSources => _sources.Count;

    public long SourceEvictions => _sources.Evictions;

    public static IElementSpec? Compile(ElementArgs args)
    {
        int ports = (int)args.Int("ports", 20, 2, 1024);
        long window = args.DurationMicros("window", 10_000_000, 1_000);
        bool block = args.Bool("block", false);
        long blockFor = args.DurationMicros("block-for", 60_000_000, 1_000);
        if (!block && args.Has("block-for"))
        {
            args.Error(args.Node("block-for")!.At, "'block-for' only applies with 'block: true'");
        }

        var prefix = MatchArgs.Prefix(args);
        int maxSources = (int)args.Int("max-sources", RateLimit.DefaultMaxSources, 1, 1_000_000);
        return new ElementSpec<PortScanConfig>(ElementName, new PortScanConfig(ports, window, block, blockFor, prefix, maxSources), static c => new PortScan(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            Malformed++;
            return Verdict.Drop;
        }

        if (frame.Direction != Direction.ToDevice || !frame.IsIp)
        {
            return Verdict.Forward;
        }

        long now = frame.TimestampMicros;
        var config = Config;
        var source = config.Prefix.Apply(frame.SrcIp);
        var kind = Classify(frame);
        if (kind == ProbeKind.None)
        {
            return config.Block && IsBlocked(source, now) ? BlockedDrop() : Verdict.Forward;
        }

        ref var state = ref _sources.GetOrAdd(source, now, out _);
        if (config.Block && state.BlockedUntil > now)
        {
            return BlockedDrop();
        }

        if (!state.WindowOpen || now < state.WindowStart || now - state.WindowStart >= config.WindowMicros)
        {
            state.WindowOpen = true;
            state.WindowStart = now;
            state.Ports.Reset();
        }

        state.Ports.Add(frame.DstPort, config.Ports);
        if (kind == ProbeKind.Connect && state.Ports.Count < config.Ports)
        {
            return Verdict.Forward;
        }

        Detections++;
        if (config.Block)
        {
            state.BlockedUntil = now + config.BlockForMicros;
        }

        if (state.Alert.TryRaise(now, config.WindowMicros, out int count))
        {
            context.Raise(AlertTypes.PortScan, Describe(kind, source, frame.DstPort, state.Ports.Count), count: count);
        }

        return config.Block ? BlockedDrop() : Verdict.Forward;
    }

    private static ProbeKind Classify(Frame frame)
    {
        if (!frame.IsTcp)
        {
            return ProbeKind.None;
        }

        var flags = frame.TcpFlags & Core6;
        return flags switch
        {
            TcpFlags.Syn => ProbeKind.Connect,
            TcpFlags.None => ProbeKind.Null,
            TcpFlags.Fin => ProbeKind.Fin,
            _ when (flags & (XmasFlags | TcpFlags.Ack)) == XmasFlags => ProbeKind.Xmas,
            _ => ProbeKind.None,
        };
    }

    private string Describe(ProbeKind kind, UInt128 source, ushort port, int distinct)
    {
        string from = Config.Prefix.Format(source);
        return kind switch
        {
            ProbeKind.Xmas => $"xmas scan from {from} (FIN+PSH+URG probe to port {port})",
            ProbeKind.Null => $"null scan from {from} (probe without TCP flags to port {port})",
            ProbeKind.Fin => $"fin scan from {from} (FIN-only probe to port {port})",
            _ => $"distinct-ports scan from {from} ({distinct} ports within {Duration.Format(Config.WindowMicros)})",
        };
    }

    private bool IsBlocked(UInt128 source, long now)
    {
        ref var state = ref _sources.Find(source, now, out bool found);
        return found && state.BlockedUntil > now;
    }

    private Verdict BlockedDrop()
    {
        BlockedFrames++;
        return Verdict.Drop;
    }

    private struct SourceState
    {
        public bool WindowOpen;
        public long WindowStart;
        public DistinctCounter Ports;
        public AlertGate Alert;
        public long BlockedUntil;
    }
}
