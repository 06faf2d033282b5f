using KalkiEdge.Appliance;
using System.Text.Json;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Output;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.Core;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>Each pack's KalKi attack, generated as a capture, through the whole appliance (data + control plane).</summary>
public class PackScenarioTests
{
    private static string Umboxes => SiteConfigLoader.DefaultUmboxesDir();

    [TestCaseSource(typeof(PackScenarios), nameof(PackScenarios.Types))]
    public void The_attack_drives_Normal_to_Suspicious_to_Attack_and_state_reset_brings_it_back(string type)
    {
        using var dir = new TempDir();
        var device = PackScenarios.Device(type);
        var timeline = new Timeline();
        PackScenarios.Attack(timeline, device, PackScenarios.Start);
        var (appliance, output) = Build(dir, [device]);
        new ReplayRunner(appliance, NullObserver).Run(timeline.ToSource(type));

        var transitions = Lines(output, "transition");
        Assert.That(transitions.Select(t => $"{t.GetProperty("from").GetString()}->{t.GetProperty("to").GetString()}"),
            Is.EqualTo(new[] { "Normal->Suspicious", "Suspicious->Attack" }), output.ToString());
        Assert.That(transitions.All(t => t.GetProperty("reactionMicros").GetInt64() is >= 0 and < 1_000_000));
        var slot = appliance.Engine.Devices.All.Single();
        Assert.That(EdgeAppliance.StateOf(slot), Is.EqualTo("Attack"));

        appliance.Control.ResetState(device.Host.Name);
        appliance.Control.Drain();
        Assert.That(EdgeAppliance.StateOf(slot), Is.EqualTo("Normal"));
        Assert.That(slot.Chain!.Definition.Image, Is.EqualTo(appliance.Packs.Single(p => p.Name == type).ImageFor("Normal")));
        Assert.That(Lines(output, "transition")[^1].GetProperty("rule").GetString(), Is.EqualTo("state-reset"));
    }

    [TestCaseSource(typeof(PackScenarios), nameof(PackScenarios.Types))]
    public void Benign_traffic_of_the_same_device_raises_no_alert(string type)
    {
        using var dir = new TempDir();
        var device = PackScenarios.Device(type);
        var timeline = new Timeline();
        PackScenarios.Benign(timeline, device, PackScenarios.Start);
        var (appliance, output) = Build(dir, [device]);
        var result = new ReplayRunner(appliance, NullObserver).Run(timeline.ToSource(type));
        Assert.That(Lines(output, "alert"), Is.Empty, output.ToString());
        Assert.That(Lines(output, "transition"), Is.Empty);
        Assert.That(result.Forwarded, Is.EqualTo(timeline.Count));
    }

    [Test]
    public void The_cli_replay_prints_transitions_with_reaction_times_and_device_states()
    {
        using var dir = new TempDir();
        var devices = PackScenarios.Types.Select((t, i) => PackScenarios.Device(t, i)).ToList();
        var timeline = new Timeline();
        foreach (var d in devices)
        {
            PackScenarios.Attack(timeline, d, PackScenarios.Start);
        }

        var pcap = dir.File("attacks.pcap");
        timeline.WritePcap(pcap);
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(Umboxes, devices));

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--config", config, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.OfKind("transition").Count(), Is.EqualTo(2 * devices.Count), r.Stdout);
        Assert.That(r.OfKind("transition").All(t => t.TryGetProperty("reactionMicros", out _)));
        foreach (var d in devices)
        {
            Assert.That(r.Summary.GetProperty("devices").GetProperty(d.Host.Name).GetProperty("state").GetString(), Is.EqualTo("Attack"), d.Host.Name);
        }
    }

    private static readonly IApplianceObserver NullObserver = new ConsoleObserver(TextWriter.Null);

    private static (EdgeAppliance, StringWriter) Build(TempDir dir, IEnumerable<ScenarioDevice> devices)
    {
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(Umboxes, devices));
        var diagnostics = new DiagnosticBag();
        var output = new StringWriter();
        var site = SiteConfigLoader.Load(config, diagnostics);
        var appliance = site is null ? null : EdgeAppliance.Build(site, diagnostics, new JsonLinesObserver(output));
        Assert.That(appliance, Is.Not.Null, diagnostics.ToString());
        return (appliance!, output);
    }

    private static List<JsonElement> Lines(StringWriter output, string kind) =>
        [.. output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("kind").GetString() == kind)];
}
