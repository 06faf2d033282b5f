using System.Text.RegularExpressions;
using KalkiEdge.Appliance.Replay;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// The cost of detecting scans on every device: frames/s of each shipped pack's Normal chain (its
/// <c>*-normal</c> image, with <c>port-scan</c> first) against the same chain without <c>port-scan</c> (the
/// chains as they were before scans were looked for in Normal), on the same mix of 1,000 devices, one core,
/// interleaved medians of 3. Target: at least 0.8x. `make bench ARGS=normal-chains`; KALKI_BENCH_FRAMES sets
/// the mix's size (default 1,000,000 frames).
/// </summary>
public sealed partial class NormalChainsSuite : IBenchSuite
{
    public string Name => "normal-chains";

    public string Description => "each pack's Normal chain (port-scan first) vs the same chain without port-scan, frames/s on one mix";

    public void Run(SuiteReport report)
    {
        var mix = TrafficMix.Build(1_000, EngineThroughputSuite.Frames);
        foreach (var image in Directory.GetFiles(Path.Combine(RepoPaths.Root, "umboxes", "images"), "*-normal.yaml").Order(StringComparer.Ordinal))
        {
            var chain = ChainText().Match(File.ReadAllText(image)).Groups[1].Value.Trim();
            var without = PortScanFirst().Replace(chain, "");
            if (without == chain)
            {
                throw new InvalidOperationException($"{image}: the Normal chain does not start with port-scan: `{chain}`");
            }

            var now = new List<double>();
            var before = new List<double>();
            for (int i = 0; i < 3; i++)
            {
                before.Add(Time(mix, without));
                now.Add(Time(mix, chain));
            }

            var name = Path.GetFileNameWithoutExtension(image);
            double fpsNow = EngineThroughputSuite.Frames / Measure.Median(now);
            double fpsBefore = EngineThroughputSuite.Frames / Measure.Median(before);
            report.Add($"{name}, without port-scan", fpsBefore, "frames/s");
            report.Add($"{name}, as shipped", fpsNow, "frames/s");
            report.Add($"{name}, ratio as shipped / without port-scan", fpsNow / fpsBefore, "x", "target >= 0.8");
        }
    }

    private static double Time(TrafficMix mix, string chain)
    {
        var appliance = EngineThroughputSuite.Build(mix, chain);
        return Measure.MedianSeconds(1, () => mix.Play(new FramePipeline(appliance)));
    }

    [GeneratedRegex(@"^chain: \|\n((?:  .*\n?)+)", RegexOptions.Multiline)]
    private static partial Regex ChainText();

    [GeneratedRegex(@"^port-scan\([^)]*\)\s*->\s*")]
    private static partial Regex PortScanFirst();
}
