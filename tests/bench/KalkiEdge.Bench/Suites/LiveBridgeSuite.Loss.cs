using System.Globalization;
using System.Text.RegularExpressions;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Capture loss at an offered rate the appliance forwards. The throughput runs flood flat out on purpose, so the
/// capture ring overflows by whatever the sender offers beyond what the appliance forwards (kalki-edge's LOSS lines
/// and the ring-drop column); this run offers <see cref="PacedShare"/> of the firewall chain's measured 64 B rate,
/// paced (blast.py --rate), and counts what the ring dropped: the target is nothing.
/// </summary>
public sealed partial class LiveBridgeSuite
{
    private const double PacedShare = 0.9;

    private static void MeasurePacedLoss(SuiteReport report, string prefix, string work, LiveRun firewall)
    {
        const string label = "kalki-edge firewall, paced 64 B";
        var rate = Math.Round(PacedShare * firewall.Fps64).ToString(CultureInfo.InvariantCulture);
        var (result, counters) = WithAppliance(prefix, WriteConfig(work, prefix, FirewallChain),
            () => BenchPy(prefix, "--label", label, "--sizes", "64", "--rate", rate, "--repeat", "1", "--latency-count", "100"));
        Console.WriteLine($"{label}:\n{counters}");
        var run = result.GetProperty("throughput").GetProperty("64").GetProperty("runs")[0];
        var drops = RingDrops(counters);
        var note = $"asked {rate} frames/s = {PacedShare} x the firewall chain's flat-out 64 B rate";
        report.Add($"{label}, offered", run.GetProperty("offeredFps").GetDouble(), "frames/s", $"{note} (a loaded sender may offer less)");
        report.Add($"{label}, received", run.GetProperty("fps").GetDouble(), "frames/s", note);
        report.Add($"{label}, capture ring drops", drops, "frames", $"target 0: {(drops == 0 ? "met" : "MISSED")}");
        // Whether the collector stopped the capture threads during the run holds whatever the machine's load.
        var (collections, pausedMillis) = Collections(counters);
        report.Add($"{label}, garbage collections", collections, "collections", "while bridging, all generations (kalki-edge's stop line)");
        report.Add($"{label}, garbage collector pauses", pausedMillis, "ms", "while bridging, in all: the capture threads stand still meanwhile");
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
