using System.Diagnostics;
using System.Text.RegularExpressions;
using KalkiEdge.Appliance.Replay;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// The cost of detecting scans on every device: frames/s of each shipped pack's Normal chain (its
/// <c>*-normal</c> image, with <c>port-scan</c> first) against the same chain without <c>port-scan</c> (the
/// chains as they were before scans were looked for in Normal), on the same mix of 1,000 devices, one core.
/// Both variants are first played unmeasured, in turns, until each one's processor time is within 5% of its previous
/// play (at most <see cref="MaxWarmups"/> turns: the runtime's tiered compiler finishes the hot methods in the
/// background, later on a loaded machine, and a variant measured before that would lose to its own warm-up), then the
/// two are played in interleaved pairs, each through a fresh appliance; the ratio is of the medians, by wall clock and by the
/// playing thread's processor time (steadier on a loaded machine). Target: at least 0.8x.
/// `make bench ARGS=normal-chains`; KALKI_BENCH_FRAMES sets the mix's size (default 1,000,000 frames),
/// KALKI_BENCH_PAIRS the pairs (default 5), KALKI_BENCH_PACKS a comma list of packs (e.g. generic,wemo; default all).
/// </summary>
public sealed partial class NormalChainsSuite : IBenchSuite
{
    public string Name => "normal-chains";

    public string Description => "each pack's Normal chain (port-scan first) vs the same chain without port-scan, frames/s on one mix";

    private static int Pairs => int.TryParse(Environment.GetEnvironmentVariable("KALKI_BENCH_PAIRS"), out var n) && n > 0 ? n : 5;

    private static string[]? Packs => Environment.GetEnvironmentVariable("KALKI_BENCH_PACKS")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Run(SuiteReport report)
    {
        var mix = TrafficMix.Build(1_000, EngineThroughputSuite.Frames);
        foreach (var image in Directory.GetFiles(Path.Combine(RepoPaths.Root, "umboxes", "images"), "*-normal.yaml").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(image);
            if (Packs is { } packs && !packs.Any(p => name == $"{p}-normal"))
            {
                continue;
            }

            var chain = ChainText().Match(File.ReadAllText(image)).Groups[1].Value.Trim();
            var without = PortScanFirst().Replace(chain, "");
            if (without == chain)
            {
                throw new InvalidOperationException($"{image}: the Normal chain does not start with port-scan: `{chain}`");
            }

            int warmups = WarmUp(mix, without, chain);
            var now = (Wall: new List<double>(), Cpu: new List<double>());
            var before = (Wall: new List<double>(), Cpu: new List<double>());
            for (int i = 0; i < Pairs; i++)
            {
                var b = Time(mix, without);
                before.Wall.Add(b.Wall);
                before.Cpu.Add(b.Cpu);
                var n = Time(mix, chain);
                now.Wall.Add(n.Wall);
                now.Cpu.Add(n.Cpu);
            }

            int frames = EngineThroughputSuite.Frames;
            double fpsNow = frames / Measure.Median(now.Wall);
            double fpsBefore = frames / Measure.Median(before.Wall);
            string spread = $"median of {Pairs} interleaved pairs";
            report.Add($"{name}, without port-scan", fpsBefore, "frames/s", spread);
            report.Add($"{name}, as shipped", fpsNow, "frames/s", spread);
            report.Add($"{name}, ratio as shipped / without port-scan", fpsNow / fpsBefore, "x", "target >= 0.8");
            report.Add($"{name}, unmeasured warm-up turns", warmups, "turns", $"until each variant's processor time is within 5% of its previous play, at most {MaxWarmups}");
            report.Add($"{name}, ratio by the thread's processor time", Measure.Median(before.Cpu) / Measure.Median(now.Cpu), "x", "steadier on a loaded machine");
        }
    }

    private const int MaxWarmups = 6;

    /// <summary>Plays both variants in turns until they settle; returns the turns played.</summary>
    private static int WarmUp(TrafficMix mix, string without, string chain)
    {
        double lastWithout = double.MaxValue, lastChain = double.MaxValue;
        for (int i = 0; i < MaxWarmups; i++)
        {
            double w = Time(mix, without).Cpu, c = Time(mix, chain).Cpu;
            bool settled = Math.Abs(w - lastWithout) <= 0.05 * w && Math.Abs(c - lastChain) <= 0.05 * c;
            (lastWithout, lastChain) = (w, c);
            if (settled)
            {
                return i + 1;
            }
        }

        return MaxWarmups;
    }

    private static (double Wall, double Cpu) Time(TrafficMix mix, string chain)
    {
        var pipeline = new FramePipeline(EngineThroughputSuite.Build(mix, chain));
        double cpu = CpuTime.Thread();
        var sw = Stopwatch.StartNew();
        mix.Play(pipeline);
        return (sw.Elapsed.TotalSeconds, CpuTime.Thread() - cpu);
    }

    [GeneratedRegex(@"^chain: \|\n((?:  .*\n?)+)", RegexOptions.Multiline)]
    private static partial Regex ChainText();

    [GeneratedRegex(@"^port-scan\([^)]*\)\s*->\s*")]
    private static partial Regex PortScanFirst();
}
