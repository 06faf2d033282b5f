using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Application;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated brute-force arguments.</summary>
public sealed record BruteForceConfig(ushort Port, int Attempts, long WindowMicros, bool Block, long BlockForMicros, int MaxSources);

/// <summary>
/// KalKi u6: at least <c>attempts</c> TCP connection attempts (SYN without ACK) toward the device's
/// <c>port</c> from one source within <c>window</c> (sliding, frame time: the span from the first to the last
/// of them is shorter than the window) raises <c>brute-force</c>. Every attempt that finds the source over the
/// threshold is an occurrence; alerts are raised once per source per window, the count telling how many
/// occurrences each stands for. With <c>block: true</c> the source's frames (both ways) are dropped for
/// <c>block-for</c> after each attempt that keeps it over the threshold.
/// <code>brute-force(port: 22, attempts: 5, window: 10s, block: true, block-for: 10min, max-sources: 4096)</code>
/// </summary>
public sealed class BruteForce : Element
{
    private readonly BruteForceConfig _config;
    private readonly SlidingWindowDetector _detector;

    public BruteForce(BruteForceConfig config)
    {
        _config = config;
        _detector = new SlidingWindowDetector(config.Attempts, config.WindowMicros, config.WindowMicros, config.MaxSources, config.Block ? config.BlockForMicros : 0);
    }

    /// <summary>Sources displaced from the full table (each loses its count).</summary>
    public long Evictions => _detector.Evictions;

    internal int TableCapacity => _detector.Table.Capacity;

    public static IElementSpec? Compile(ElementArgs args)
    {
        var portNode = args.Required("port");
        ushort port = portNode is null ? (ushort)0 : (ushort)args.Int(portNode, "port", 0, 1, 65535);
        int attempts = (int)args.Int("attempts", 5, 1, 1000);
        long window = args.DurationMicros("window", 10_000_000);
        bool block = args.Bool("block", false);
        long blockFor = args.DurationMicros("block-for", 600_000_000);
        if (!block && args.Has("block-for"))
        {
            args.Error(args.Node("block-for")!.At, "'block-for' needs 'block: true'");
        }

        int sources = CommonArgs.MaxSourcesArg(args);
        TableLimits.CheckEventMemory(args, sources, attempts, "attempts");
        return new ElementSpec<BruteForceConfig>("brute-force", new BruteForceConfig(port, attempts, window, block, blockFor, sources), static c => new BruteForce(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            return Verdict.Drop;
        }

        if (!frame.IsIp)
        {
            return Verdict.Forward;
        }

        long now = frame.TimestampMicros;
        bool toDevice = frame.Direction == Direction.ToDevice;
        if (toDevice && frame.IsTcp && frame.DstPort == _config.Port && (frame.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn)
        {
            var d = _detector.Record(frame.SrcIp, now);
            if (d.AlertCount > 0)
            {
                context.Raise(AlertTypes.BruteForce, Describe(frame.SrcIp, d.AlertCount), count: d.AlertCount);
            }

            if (_config.Block && d.Over)
            {
                _detector.Table[d.Slot].BlockedUntil = now + _config.BlockForMicros;
            }
        }

        return _config.Block && _detector.IsBlocked(toDevice ? frame.SrcIp : frame.DstIp, now) ? Verdict.Drop : Verdict.Forward;
    }

    private string Describe(UInt128 source, int count)
    {
        var blocked = _config.Block ? $"; source blocked for {Duration.Format(_config.BlockForMicros)}" : "";
        return $"brute force on TCP port {_config.Port} from {Ip.Format(source)}: at least {_config.Attempts} connection attempts within {Duration.Format(_config.WindowMicros)} ({count} over the threshold in this report){blocked}";
    }
}
