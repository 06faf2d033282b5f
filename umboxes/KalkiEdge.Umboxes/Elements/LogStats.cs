using System.Globalization;
using System.Text;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated log-stats configuration.</summary>
public sealed record LogStatsConfig(long IntervalMicros);

/// <summary>
/// Periodic traffic counters (Click's Counter + a timer, in frame time). Counts frames and bytes per direction
/// and protocol; when a frame arrives <c>interval</c> (default 10s) or more after the current period began, it
/// first writes one μmbox log line with the counts since the previous line, then starts the next period on the
/// interval grid. Time is the frames' own, so a quiet device writes no lines and replays log exactly as live.
/// Forwards every well-formed frame; malformed ones are counted, logged and dropped like everywhere else.
/// <code>log-stats(interval: 10s)</code>
/// Line: <c>10s: in 12 frames 3400 bytes (tcp 10/3000, udp 2/400); out 0 frames 0 bytes</c>.
/// </summary>
public sealed class LogStats(LogStatsConfig config) : Element
{
    public const string ElementName = "log-stats";

    private static readonly string[] ClassNames = ["tcp", "udp", "icmp", "other-ip", "arp", "other"];
    private const int Classes = 6;

    // [direction][class] → frames, bytes. Directions: 0 = in (to device), 1 = out (from device).
    private readonly long[] _frames = new long[2 * Classes];
    private readonly long[] _bytes = new long[2 * Classes];
    private long _malformed;
    private bool _started;
    private long _periodStart;

    public LogStatsConfig Config { get; } = config;

    /// <summary>Lines written so far.</summary>
    public long Lines { get; private set; }

    public static IElementSpec? Compile(ElementArgs args) =>
        new ElementSpec<LogStatsConfig>(ElementName, new LogStatsConfig(args.DurationMicros("interval", 10_000_000, 1_000)), static c => new LogStats(c));

    public override Verdict Process(Frame frame, ElementContext context)
    {
        long now = frame.TimestampMicros;
        long interval = Config.IntervalMicros;
        if (!_started)
        {
            _started = true;
            _periodStart = now;
        }
        else if (now - _periodStart >= interval)
        {
            // (A clock that steps backwards, e.g. a spliced capture, just keeps counting in the current period.)
            long periods = (now - _periodStart) / interval;
            context.Log(FormatLine(periods * interval));
            Lines++;
            Array.Clear(_frames);
            Array.Clear(_bytes);
            _malformed = 0;
            _periodStart += periods * interval;
        }

        if (!frame.Decode())
        {
            _malformed++;
            return Verdict.Drop;
        }

        int slot = (frame.Direction == Direction.ToDevice ? 0 : Classes) + Classify(frame);
        _frames[slot]++;
        _bytes[slot] += frame.Length;
        return Verdict.Forward;
    }

    private static int Classify(Frame frame)
    {
        if (frame.IsArp)
        {
            return 4;
        }

        if (!frame.IsIp)
        {
            return 5;
        }

        return frame.IpProtocol switch
        {
            IpProtocols.Tcp => 0,
            IpProtocols.Udp => 1,
            IpProtocols.Icmp or IpProtocols.IcmpV6 => 2,
            _ => 3,
        };
    }

    private string FormatLine(long spanMicros)
    {
        var line = new StringBuilder(128);
        line.Append(Duration.Format(spanMicros)).Append(": ");
        AppendDirection(line, "in", 0);
        line.Append("; ");
        AppendDirection(line, "out", Classes);
        if (_malformed > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $"; malformed {_malformed}");
        }

        return line.ToString();
    }

    private void AppendDirection(StringBuilder line, string name, int offset)
    {
        long frames = 0, bytes = 0;
        for (int i = 0; i < Classes; i++)
        {
            frames += _frames[offset + i];
            bytes += _bytes[offset + i];
        }

        line.Append(CultureInfo.InvariantCulture, $"{name} {frames} frames {bytes} bytes");
        string separator = " (";
        for (int i = 0; i < Classes; i++)
        {
            if (_frames[offset + i] > 0)
            {
                line.Append(CultureInfo.InvariantCulture, $"{separator}{ClassNames[i]} {_frames[offset + i]}/{_bytes[offset + i]}");
                separator = ", ";
            }
        }

        if (separator == ", ")
        {
            line.Append(')');
        }
    }
}
