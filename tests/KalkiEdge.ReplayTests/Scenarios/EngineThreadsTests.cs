using System.Text.RegularExpressions;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.ReplayTests.Corpus;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>
/// <c>engine: { threads: N }</c> spreads a replay's devices over N engine threads and merges their frames back in capture
/// order: the real <c>kalki-edge replay</c> prints the same lines for 1, 2 and 4 threads, byte for byte, except for the
/// measured compute times (docs/json-lines.md), on the pack scenarios and on corpus captures with floods, scans, logins
/// and an hour of benign life: same alerts with the same counts, same transitions, same summary (nothing lost); with
/// packet signing too (it runs on the merging thread, in capture order).
/// </summary>
public sealed partial class EngineThreadsTests
{
    [TestCase("attack", "--json", "")]
    [TestCase("attack", "--eve", "")]
    [TestCase("benign", "--json", "")]
    [TestCase("attack", "--json", "signing: {mode: epoch}\n")]
    [TestCase("attack", "--json", "signing: {mode: batched}\n")]
    public void A_pack_scenario_replays_to_the_same_output_on_one_two_and_four_engine_threads(string scenario, string format, string site)
    {
        var devices = PackScenarios.Types.Select((t, i) => PackScenarios.Device(t, i)).ToList();
        var timeline = new Timeline();
        foreach (var d in devices)
        {
            _ = scenario == "attack" ? PackScenarios.Attack(timeline, d, PackScenarios.Start) : PackScenarios.Benign(timeline, d, PackScenarios.Start);
        }

        using var dir = new TempDir();
        var pcap = dir.File("capture.pcap");
        timeline.WritePcap(pcap);
        var outputs = new[] { 1, 2, 4 }.Select(threads =>
        {
            var config = dir.File($"site-{threads}.yaml");
            File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), devices) + site + Threads(threads));
            var r = KalkiEdgeCli.RunBounded(null, TimeSpan.FromMinutes(10), "replay", "--pcap", pcap, "--config", config, format);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
            return r;
        }).ToList();

        Assert.That(outputs[0].Stdout, Does.Contain(format == "--json" ? "\"kind\":\"summary\"" : "\"event_type\""), "something to compare");
        if (scenario == "attack")
        {
            Assert.That(outputs[0].Stdout, Does.Contain(format == "--json" ? "\"kind\":\"transition\"" : "kalki_transition"), "transitions to keep in order");
        }

        if (site.StartsWith("signing", StringComparison.Ordinal))
        {
            Assert.That(outputs[0].Stdout, Does.Contain("\"signing\":{\"released\":"), "the signing stage ran");
        }

        AssertSame(outputs);
    }

    [TestCase(ProbeScenarios.SynFlood)]
    [TestCase(ProbeScenarios.SplitScan)]
    [TestCase(ProbeScenarios.StrayProbes)]
    [TestCase(LoginScenarios.HydraBasic)]
    [TestCase(BenignScenarios.ScanDuringLife)]
    public void A_corpus_capture_replays_to_the_same_output_on_one_two_and_four_engine_threads(string name)
    {
        var scenario = CorpusCatalogue.Find(name);
        var outputs = new[] { 1, 2, 4 }.Select(threads => scenario.ReplayWith(Threads(threads))).ToList();
        Assert.That(outputs[0].Stdout, Does.Contain("\"kind\":\"summary\""));
        AssertSame(outputs);
    }

    private static string Threads(int n) => $"engine: {{threads: {n}}}\n";

    private static void AssertSame(List<CliResult> outputs)
    {
        var single = WithoutComputeTimes(outputs[0].Stdout);
        Assert.That(single, Is.Not.Empty, "something to compare (with --json at least the summary's per-device counts)");
        for (int i = 1; i < outputs.Count; i++)
        {
            Assert.That(WithoutComputeTimes(outputs[i].Stdout), Is.EqualTo(single), $"run {i + 1} differs from the single-thread run");
        }
    }

    /// <summary>Reaction times and the TRIGGER, REACT and FINISH stages are frame time plus compute measured in the run; everything else is the capture's.</summary>
    private static string WithoutComputeTimes(string output) => ComputeTime().Replace(output, "\"$1\":0");

    [GeneratedRegex("\"(reactionMicros|reaction_us|trigger|react|finish)\":[0-9]+")]
    private static partial Regex ComputeTime();
}
