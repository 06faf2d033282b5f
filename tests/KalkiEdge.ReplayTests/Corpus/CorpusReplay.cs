using System.Text.Json;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.ReplayTests.Scenarios;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>Writes a generated corpus capture and its site config, and replays it through the real <c>kalki-edge replay --json</c>.</summary>
internal static class CorpusReplay
{
    /// <summary>Replays <paramref name="timeline"/> with <paramref name="devices"/> registered under their packs (and <paramref name="site"/>'s top-level lines).</summary>
    public static CliResult Run(IEnumerable<ScenarioDevice> devices, Timeline timeline, long maxCaptureBytes = 4 << 20, string site = "")
    {
        using var dir = new TempDir();
        var pcap = dir.File("corpus.pcap");
        timeline.WritePcap(pcap);
        Assert.That(new FileInfo(pcap).Length, Is.LessThan(maxCaptureBytes), "captures stay small");
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), devices) + site);
        var r = KalkiEdgeCli.RunBounded(null, TimeSpan.FromMinutes(10), "replay", "--pcap", pcap, "--config", config, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        return r;
    }

    /// <summary>The alert types raised for <paramref name="device"/>, in order.</summary>
    public static List<string> Alerts(CliResult r, string device) =>
        [.. r.OfKind("alert").Where(a => Of(a, device)).Select(a => a.GetProperty("type").GetString()!)];

    /// <summary>The device's transitions as "From->To".</summary>
    public static List<string> Transitions(CliResult r, string device) =>
        [.. r.OfKind("transition").Where(t => Of(t, device)).Select(t => $"{t.GetProperty("from").GetString()}->{t.GetProperty("to").GetString()}")];

    /// <summary>The names of the policy rules that moved the device, in order.</summary>
    public static List<string> Rules(CliResult r, string device) =>
        [.. r.OfKind("transition").Where(t => Of(t, device)).Select(t => t.GetProperty("rule").GetString()!)];

    private static bool Of(JsonElement line, string device) => line.GetProperty("device").GetString() == device;
}
