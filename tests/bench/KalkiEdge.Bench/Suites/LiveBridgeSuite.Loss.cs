using System.Globalization;
using System.Text.RegularExpressions;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Capture loss at offered rates the appliance forwards. The throughput runs flood flat out on purpose, so the capture
/// ring overflows by whatever the sender offers beyond what the appliance forwards (kalki-edge's LOSS lines and the
/// ring-drop column); these runs offer <see cref="PacedShares"/> of the firewall chain's measured 64 B rate, paced
/// evenly, and count what the ring dropped at each: the target is nothing at <see cref="TargetShare"/>.
/// The sender runs under SCHED_FIFO <see cref="SenderRealtimePriority"/> (below the capture threads) and sends at most
/// <see cref="CatchUpMillis"/> ms of frames at once: a sender at normal priority on a loaded machine was delayed by
/// tens of milliseconds and then caught up in one burst, a ring's worth at these rates, so its drops measured the
/// scheduler. Beside each rate, what the dev0 capture thread did meanwhile (/proc schedstat): its processor time per
/// frame, its share of a CPU and how long it waited for one, so drops with the thread near a whole CPU are its limit
/// (firmware/KalkiEdge.DataPlane/Live/README.md, "Loss against the offered rate") and drops with it idle are not.
/// </summary>
public sealed partial class LiveBridgeSuite
{
    private static readonly double[] PacedShares = [0.5, 0.7, 0.8, 0.9];

    private const double TargetShare = 0.9;

    private const double CatchUpMillis = 5;

    private const string CaptureThread = "capture dev0";

    private static void MeasurePacedLoss(SuiteReport report, string prefix, string work, LiveRun firewall)
    {
        foreach (var share in PacedShares)
        {
            MeasurePacedLoss(report, prefix, work, share, Math.Round(share * firewall.Fps64));
        }
    }

    private static void MeasurePacedLoss(SuiteReport report, string prefix, string work, double share, double rate)
    {
        var label = $"kalki-edge firewall, paced 64 B at {share.ToString(CultureInfo.InvariantCulture)}x";
        ThreadSchedule? before = null, after = null;
        var (result, counters) = WithAppliance(prefix, WriteConfig(work, prefix, FirewallChain), pid =>
        {
            before = ThreadSchedule.Of(pid, CaptureThread);
            var measured = BenchPy(prefix, "--label", label, "--sizes", "64", "--rate", rate.ToString(CultureInfo.InvariantCulture),
                "--catch-up-ms", CatchUpMillis.ToString(CultureInfo.InvariantCulture),
                "--sender-rt-priority", SenderRealtimePriority.ToString(CultureInfo.InvariantCulture), "--repeat", "1", "--latency-count", "100");
            after = ThreadSchedule.Of(pid, CaptureThread);
            return measured;
        });
        Console.WriteLine($"{label}:\n{counters}");
        var run = result.GetProperty("throughput").GetProperty("64").GetProperty("runs")[0];
        var drops = RingDrops(counters);
        var note = $"asked {rate} frames/s = {share} x the firewall chain's flat-out 64 B rate; SCHED_FIFO sender, bursts <= {CatchUpMillis} ms";
        report.Add($"{label}, offered", run.GetProperty("offeredFps").GetDouble(), "frames/s", $"{note} (frames it was too late for are skipped: {run.GetProperty("late").GetInt64()})");
        report.Add($"{label}, received", run.GetProperty("fps").GetDouble(), "frames/s", "counted at the receiver");
        report.Add($"{label}, capture ring drops", drops, "frames", share == TargetShare ? $"target 0: {(drops == 0 ? "met" : "MISSED")}" : "");
        if (before is { } b && after is { } a)
        {
            // Processor time per frame means the same at any load; the share says how close the thread came to a whole CPU.
            var spent = a - b;
            var sendSeconds = run.GetProperty("sendSeconds").GetDouble();
            report.Add($"{label}, capture thread time per frame", spent.RunNanos / 1e3 / Math.Max(1, run.GetProperty("sent").GetInt64()), "µs",
                "dev0's thread on a CPU (schedstat) over the frames sent, the latency probes' few included");
            report.Add($"{label}, capture thread on a CPU", 100.0 * spent.RunNanos / 1e9 / sendSeconds, "%",
                $"of the {sendSeconds:F1} s the sender ran (near 100, or 95 where real-time throttling holds it back: the load is its limit)");
            report.Add($"{label}, capture thread waiting for a CPU", spent.WaitNanos / 1e6, "ms", "runnable but not running, in all");
        }

        if (share == TargetShare)
        {
            // Whether the collector stopped the capture threads during the run holds whatever the machine's load.
            var (collections, pausedMillis) = Collections(counters);
            report.Add($"{label}, garbage collections", collections, "collections", "while bridging, all generations (kalki-edge's stop line)");
            report.Add($"{label}, garbage collector pauses", pausedMillis, "ms", "while bridging, in all: the capture threads stand still meanwhile");
        }
    }

    /// <summary>The collections (all generations) and the pause time in kalki-edge's "garbage collector while bridging" stop line.</summary>
    public static (int Collections, double PausedMillis) Collections(string counters)
    {
        var match = CollectorLine().Match(counters);
        if (!match.Success)
        {
            throw new InvalidOperationException($"kalki-edge printed no 'garbage collector while bridging' line:\n{counters}");
        }

        int Count(string generation) => int.Parse(match.Groups[generation].Value, CultureInfo.InvariantCulture);
        return (Count("gen0") + Count("gen1") + Count("gen2"), double.Parse(match.Groups["paused"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"garbage collector while bridging .*collections gen0 (?<gen0>\d+), gen1 (?<gen1>\d+), gen2 (?<gen2>\d+), managed threads paused (?<paused>[\d.]+) ms")]
    private static partial Regex CollectorLine();

    /// <summary>The ring-drop column of kalki-edge's final port table (printed at SIGTERM), summed over its ports.</summary>
    public static long RingDrops(string counters)
    {
        string[]? header = null;
        long total = 0;
        foreach (var line in counters.Split('\n'))
        {
            var cells = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (header is null)
            {
                header = Array.IndexOf(cells, "ring-drop") >= 0 ? cells : null;
            }
            else if (IsPortRow(header, cells))
            {
                total += long.Parse(cells[Array.IndexOf(header, "ring-drop")], CultureInfo.InvariantCulture);
            }
            else
            {
                break;
            }
        }

        return header is null ? throw new InvalidOperationException($"kalki-edge printed no port table with a ring-drop column:\n{counters}") : total;
    }

    /// <summary>A port's row: the header's cells (a log prefix included, if any), a name under "port" and numbers after it.</summary>
    private static bool IsPortRow(string[] header, string[] cells) =>
        cells.Length == header.Length && cells.Skip(Array.IndexOf(header, "port") + 1).All(c => long.TryParse(c, CultureInfo.InvariantCulture, out _));
}
