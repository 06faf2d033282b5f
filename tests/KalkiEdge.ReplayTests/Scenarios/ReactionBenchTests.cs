using KalkiEdge.Appliance.Config;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>
/// The reaction-time scenario at scale through the real executable: correctness is asserted, figures are printed
/// (benchmarks are not timed tests).
/// </summary>
public class ReactionBenchTests
{
    [Test]
    public void A_thousand_devices_each_make_one_transition_while_background_traffic_flows()
    {
        using var dir = new TempDir();
        var (devices, timeline) = PackScenarios.ReactionBench(1000, 50_000);
        var pcap = dir.File("bench.pcap");
        timeline.WritePcap(pcap);
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), devices));

        if (Environment.GetEnvironmentVariable("KALKI_BENCH_OUT") is { Length: > 0 } keep)
        {
            // Keep the generated capture and config for profiling or the benchmark console.
            Directory.CreateDirectory(keep);
            File.Copy(pcap, Path.Combine(keep, "reaction-bench.pcap"), overwrite: true);
            File.Copy(config, Path.Combine(keep, "reaction-bench.yaml"), overwrite: true);
        }

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--config", config, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var reactions = r.OfKind("transition").Select(t => t.GetProperty("reactionMicros").GetInt64()).Order().ToList();
        Assert.That(reactions, Has.Count.EqualTo(1000));
        Assert.That(r.Summary.GetProperty("devices").EnumerateObject().All(d => d.Value.GetProperty("state").GetString() == "Suspicious"));
        TestContext.Out.WriteLine($"reaction over {reactions.Count} transitions: p50 {reactions[reactions.Count / 2]} µs, p99 {reactions[reactions.Count * 99 / 100]} µs, max {reactions[^1]} µs");
    }
}
