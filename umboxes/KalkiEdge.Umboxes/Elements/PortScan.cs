using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated port-scan configuration.</summary>
public sealed record PortScanConfig(int Ports, long WindowMicros, bool Block, long BlockForMicros, SourcePrefix Prefix, int MaxSources, int MaxFlows);

/// <summary>
/// Detects port scans toward the device (KalKi u12 used Snort for XMAS scans): nmap's SYN/connect, ACK, UDP,
/// FIN, XMAS and NULL probes. Per remote source (cut to <c>prefix</c>, default /32), and for all sources
/// together (a scan split over a few sources), within a fixed <c>window</c> (default 10s) opened by the first
/// probe:
/// <list type="bullet">
/// <item><c>distinct-ports</c>: probes to <c>ports</c> (default 20) distinct device ports (TCP and UDP counted
/// apart). A probe is a SYN without ACK, or a bare ACK or a UDP datagram that starts no flow known to the
/// device — answers to flows the device opened (DNS, NTP, its own TCP connections) are never probes. Flows are
/// followed in a bounded table (<c>max-flows</c>, default 4096; when full, a new flow displaces the least recently
/// seen of the four it may share a set with) through their UDP datagrams, the device's TCP segments and the
/// others' TCP segments without data; TCP data sent to the device and ICMP pass without a lookup;</item>
/// <item><c>xmas</c> (FIN+PSH+URG without ACK), <c>null</c> (no flags) and <c>fin</c> (FIN alone): each such
/// probe is a scan signature by itself — no TCP stack sends them in normal operation.</item>
/// </list>
/// A detection raises <c>port-scan</c> at most once per source per window (info names the kind; the count
/// says how many detections it stands for; a scan seen only across sources is raised once per window). With
/// <c>block: true</c> the detecting probe and every later frame from the source are dropped for <c>block-for</c>
/// (default 60s). Sources live in a bounded table (<c>max-sources</c>, default 4096). Traffic passes untouched.
/// <code>port-scan(ports: 20, window: 10s, block: true, block-for: 5min)</code>
/// </summary>
public sealed class PortScan(PortScanConfig config) : Element
{
    public const string ElementName = "port-scan";

    private const TcpFlags Core6 = TcpFlags.Fin | TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Psh | TcpFlags.Ack | TcpFlags.Urg;
    private const TcpFlags XmasFlags = TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Urg;

    private readonly BoundedTable<UInt128, SourceState> _sources = new(config.MaxSources);
    private KnownFlows _flows = new(config.MaxFlows, Firewall.DefaultFlowTimeoutMicros); // inline: one array between the element and its answer
    private SourceState _allSources;

    private enum ProbeKind : byte
    {
        None,
        Connect,
        Ack,
        Udp,
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

    public ref readonly KnownFlows Flows => ref _flows;

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
        int maxFlows = (int)args.Int("max-flows", Firewall.DefaultMaxFlows, 1, 1_000_000);
        var config = new PortScanConfig(ports, window, block, blockFor, prefix, maxSources, maxFlows);
        return new ElementSpec<PortScanConfig>(ElementName, config, static c => new PortScan(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            Malformed++;
            return Verdict.Drop;
        }

        if (!frame.IsIp)
        {
            return Verdict.Forward;
        }

        var kind = Classify(frame);
        if (frame.Direction != Direction.ToDevice)
        {
            return Verdict.Forward;
        }

        long now = frame.TimestampMicros;
        var config = Config;
        if (kind == ProbeKind.None)
        {
            return config.Block && IsBlocked(config.Prefix.Apply(frame.SrcIp), now) ? BlockedDrop() : Verdict.Forward;
        }

        var source = config.Prefix.Apply(frame.SrcIp);

        ref var state = ref _sources.GetOrAdd(source, now, out _);
        if (config.Block && state.BlockedUntil > now)
        {
            return BlockedDrop();
        }

        uint port = ((uint)frame.IpProtocol << 16) | frame.DstPort;
        state.Count(now, port, config);
        bool swept = _allSources.Count(now, port, config);
        if (IsCounted(kind) && state.Ports.Count < config.Ports)
        {
            int all = swept ? _allSources.Alert.Occurred(now, config.WindowMicros) : 0;
            if (all > 0)
            {
                context.Raise(AlertTypes.PortScan, $"distributed distinct-ports scan ({_allSources.Ports.Count} ports from several sources within {Duration.Format(config.WindowMicros)}, last from {config.Prefix.Format(source)})", count: all);
            }

            return Verdict.Forward;
        }

        Detections++;
        if (config.Block)
        {
            state.BlockedUntil = now + config.BlockForMicros;
        }

        // The scan is reported from its source: the all-sources report of this window would say it again.
        _allSources.Alert.Occurred(now, config.WindowMicros);
        int count = state.Alert.Occurred(now, config.WindowMicros);
        if (count > 0)
        {
            context.Raise(AlertTypes.PortScan, Describe(kind, source, frame.DstPort, state.Ports.Count), count: count);
        }

        return config.Block ? BlockedDrop() : Verdict.Forward;
    }

    private static bool IsCounted(ProbeKind kind) => kind is ProbeKind.Connect or ProbeKind.Ack or ProbeKind.Udp;

    /// <summary>Follows the frame's flow (both directions) when that can matter, and names the probe it is, if any.</summary>
    private ProbeKind Classify(Frame frame)
    {
        // The flow table answers one question: does a bare ACK or a UDP datagram start a flow? Nothing else needs
        // it, so two kinds of frame skip it, which spares most frames their lookup:
        // - anything but TCP and UDP (ICMP is never a probe here, and its flows answer nothing);
        // - TCP data sent to the device (ACK, perhaps PSH, with payload): never a probe itself, and its flow is kept
        //   known by the device's own segments. The device's data still takes the lookup: in an upload already
        //   under way when the chain starts (after a swap or a restart), it is all that makes the remote's pure
        //   ACKs answers rather than ACK probes.
        bool tcp = frame.IsTcp;
        if (!tcp && !frame.IsUdp)
        {
            return ProbeKind.None;
        }

        var flags = tcp ? frame.TcpFlags & Core6 : TcpFlags.None;
        if (tcp && frame.Direction == Direction.ToDevice && (flags & ~TcpFlags.Psh) == TcpFlags.Ack && frame.PayloadLength > 0)
        {
            return ProbeKind.None;
        }

        if (!FlowKey.TryCreate(frame, out var key))
        {
            return ProbeKind.None;
        }

        // A packet that starts its flow is the flow's first: toward the device, the remote opened it.
        bool remoteOpens = _flows.Starts(frame, key) && frame.Direction == Direction.ToDevice;
        if (!tcp)
        {
            return remoteOpens ? ProbeKind.Udp : ProbeKind.None;
        }

        return flags switch
        {
            TcpFlags.Syn => ProbeKind.Connect,
            TcpFlags.Ack when remoteOpens && frame.PayloadLength == 0 => ProbeKind.Ack,
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
            ProbeKind.Ack => $"ack scan from {from} ({distinct} ports within {Duration.Format(Config.WindowMicros)})",
            ProbeKind.Udp => $"udp scan from {from} ({distinct} ports within {Duration.Format(Config.WindowMicros)})",
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
        public AlertAggregator Alert;
        public long BlockedUntil;

        /// <summary>Counts a probe's port in the current window (opening a new one when due); true when the count reaches the threshold.</summary>
        public bool Count(long now, uint port, PortScanConfig config)
        {
            if (!WindowOpen || now < WindowStart || now - WindowStart >= config.WindowMicros)
            {
                WindowOpen = true;
                WindowStart = now;
                Ports.Reset();
            }

            Ports.Add(port, config.Ports);
            return Ports.Count >= config.Ports;
        }
    }
}
