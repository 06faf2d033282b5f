using System.Diagnostics;
using System.Text.Json;
using Json.Schema;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.ReplayTests.Scenarios;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests.Eve;

/// <summary>
/// EVE JSON from the real executable: `replay --eve` lines validated against the subset of Suricata's EVE schema in
/// this folder and read by a real consumer (jq, with the filters SIEM rules use); the EVE file of a running
/// appliance reopened on SIGHUP; journal priorities on `run`'s lines.
/// </summary>
public class EveOutputTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Eve", "suricata-eve-subset.schema.json")));

    [Test]
    public void Every_line_of_a_replay_validates_against_suricatas_eve_schema_and_carries_addresses()
    {
        var lines = ReplaySite(out _);
        Assert.That(lines, Has.Count.GreaterThan(10));
        foreach (var line in lines)
        {
            var result = Schema.Evaluate(JsonDocument.Parse(line).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.That(result.IsValid, Is.True, $"{line}\n{string.Join("\n", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")))}");
        }

        var events = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var spoof = events.First(e => e.GetProperty("event_type").GetString() == "alert" && e.GetProperty("kalki").GetProperty("type").GetString() == "arp-spoof");
        Assert.That(spoof.GetProperty("kalki").GetProperty("device").GetString(), Is.EqualTo("dlink-camera"));
        Assert.That(spoof.GetProperty("alert").GetProperty("action").GetString(), Is.EqualTo("blocked"));
        var withAddresses = events.Where(e => e.TryGetProperty("src_ip", out _)).ToList();
        Assert.That(withAddresses, Is.Not.Empty);
        Assert.That(withAddresses, Has.All.Matches<JsonElement>(e => e.TryGetProperty("flow_id", out var id) && id.GetInt64() > 0 && e.TryGetProperty("proto", out _)));
        var transition = events.First(e => e.GetProperty("event_type").GetString() == "kalki_transition").GetProperty("kalki");
        Assert.That(transition.GetProperty("pack").GetString(), Is.Not.Empty);
        Assert.That(transition.GetProperty("state").GetString(), Is.EqualTo(transition.GetProperty("to").GetString()));
    }

    [Test]
    public void Jq_reads_the_lines_with_the_filters_siem_rules_use()
    {
        using var dir = new TempDir();
        var lines = ReplaySite(out _);
        var file = dir.File("eve.json");
        File.WriteAllLines(file, lines);

        var severe = Jq("-r", "select(.event_type==\"alert\" and .alert.severity<=2) | .src_ip // empty", file);
        var expected = lines.Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("event_type").GetString() == "alert" && e.GetProperty("alert").GetProperty("severity").GetInt32() <= 2 && e.TryGetProperty("src_ip", out _))
            .Select(e => e.GetProperty("src_ip").GetString()).ToList();
        Assert.That(expected, Is.Not.Empty);
        Assert.That(severe, Is.EqualTo(expected));

        var transitions = Jq("-c", "select(.event_type==\"kalki_transition\") | [.kalki.device, .kalki.from, .kalki.to]", file);
        Assert.That(transitions, Is.Not.Empty);
        Assert.That(transitions, Has.All.Match("^\\[\"[^\"]+\",\"[^\"]+\",\"[^\"]+\"\\]$"));

        var blockedPerDevice = Jq("-c", "-s", "map(select(.alert.action==\"blocked\")) | group_by(.kalki.device) | map({device: .[0].kalki.device, n: length})", file);
        Assert.That(blockedPerDevice.Single(), Does.Contain("\"device\":\"dlink-camera\""));
    }

    [Test]
    public void Pairing_results_are_kalki_pairing_events_that_validate_against_the_schema()
    {
        using var dir = new TempDir();
        var timeline = new Timeline();
        PairingTraffic.Introduce(timeline, PairingTraffic.Hue, new SimHost("hue", "00:17:88:5e:6f:70", "192.0.2.21"), 1_767_225_605_000_000);
        PairingTraffic.Introduce(timeline, PairingTraffic.Unknown, new SimHost("esp", "02:3c:71:bf:00:01", "192.0.2.25"), 1_767_225_612_000_000);
        var pcap = dir.File("pairing.pcap");
        timeline.WritePcap(pcap);
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, $"umboxes: {SiteConfigLoader.DefaultUmboxesDir()}\nunknown-devices: drop\ndevices: []\npanel:\n  pairing: {{window: 120s, confidence: 60, observe: 20s}}\n");

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--config", config, "--eve", "--pair-window", "0", "--network-mac", PairingTraffic.Gateway.Mac);

        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Select(l => Schema.Evaluate(JsonDocument.Parse(l).RootElement).IsValid), Has.All.True, "every stdout line, pairing included, is an EVE event");
        var pairing = lines.Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("event_type").GetString() == "kalki_pairing").Select(e => e.GetProperty("kalki")).ToList();
        Assert.That(pairing.Select(p => (p.GetProperty("mac").GetString(), p.GetProperty("result").GetString(), p.GetProperty("pack").GetString(), p.GetProperty("needs_review").GetBoolean())),
            Is.EquivalentTo(new[] { ("00:17:88:5e:6f:70", "accepted", PairingTraffic.Hue.Family, false), ("02:3c:71:bf:00:01", "accepted", PairingTraffic.Unknown.Family, true) }));
        Assert.That(pairing, Has.All.Matches<JsonElement>(p => p.GetProperty("device").GetString()!.StartsWith(p.GetProperty("pack").GetString()!, StringComparison.Ordinal)));
    }

    [Test]
    public void Json_and_eve_together_are_a_usage_error()
    {
        var r = KalkiEdgeCli.Run("replay", "--pcap", "x.pcap", "--json", "--eve");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Stderr, Does.Contain("--json and --eve"));
    }

    [Test]
    public void Check_reports_a_bad_eve_section_with_its_line()
    {
        using var dir = new TempDir();
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), [PackScenarios.Device("dlink-camera")])
            + "eve:\n  file: eve.json\n  rotate-size: lots\n");
        var check = KalkiEdgeCli.Run("check", "--config", config);
        Assert.That(check.ExitCode, Is.EqualTo(1));
        Assert.That(check.Stderr, Does.Contain("site.yaml:").And.Contain("'rotate-size' must be a size like 64MB"));
    }

    [Test]
    public void A_running_appliance_writes_its_eve_file_reopens_it_on_sighup_and_logs_with_journal_priorities()
    {
        using var dir = new TempDir();
        var socket = dir.File("ctl.sock");
        var camera = PackScenarios.Device("dlink-camera");
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), [camera])
            + $"data-dir: {dir.File("data")}\nmanagement: {{listen: \"127.0.0.1:0\", control-socket: {socket}}}\neve: {{file: eve.json}}\n");
        var eve = dir.File("eve.json");
        using (var appliance = RunningAppliance.StartWithSocket(config, socket))
        {
            Reset(config, camera.Host.Name, "first");
            WaitFor(() => File.Exists(eve) && File.ReadAllText(eve).Contains("first", StringComparison.Ordinal));
            File.Move(eve, eve + ".1"); // logrotate's rename
            appliance.HangUp();
            WaitFor(() => appliance.Printed("SIGHUP: reopening the EVE file"));
            Reset(config, camera.Host.Name, "second");
            WaitFor(() => File.Exists(eve) && File.ReadAllText(eve).Contains("second", StringComparison.Ordinal));

            Assert.That(appliance.Printed("<4>KalkiEdge[0] WARNING: packet signing is OFF"), Is.True, appliance.Output);
            Assert.That(appliance.Printed("<6>KalkiEdge[0] kalki-edge: management server on http://"), Is.True, appliance.Output);
            Assert.That(appliance.Printed("<6>KalkiEdge.Events[1] ALERT dlink-camera-0 state-reset"), Is.True, appliance.Output);
            appliance.Terminate();
            Assert.That(appliance.WaitForExit(TimeSpan.FromSeconds(30)), Is.EqualTo(0), appliance.Output);
            Assert.That(appliance.Output.Split('\n').Where(l => l.Length > 0), Has.All.Match("^<[0-7]>"), "every line has its journal priority");
        }

        var old = File.ReadAllLines(eve + ".1");
        var current = File.ReadAllLines(eve);
        Assert.That(old.Single(), Does.Contain("first").And.Contain("\"event_type\":\"alert\""));
        Assert.That(current.Single(), Does.Contain("second").And.Contain("\"pack\":\"dlink-camera\""));
        Assert.That(old.Concat(current).Select(l => Schema.Evaluate(JsonDocument.Parse(l).RootElement).IsValid), Has.All.True);
    }

    /// <summary>`kalki-edge reset` through the running appliance's control socket (an operator action that raises an alert).</summary>
    internal static void Reset(string config, string device, string reason)
    {
        var r = KalkiEdgeCli.Run("reset", "--device", device, "--reason", reason, "--config", config);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
    }

    private static List<string> ReplaySite(out CliResult result)
    {
        using var dir = new TempDir();
        var pcap = dir.File("site.pcap");
        SiteScenario.Build().WritePcap(pcap);
        result = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--eve");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Stderr);
        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>Debian's jq on a file; its output lines.</summary>
    private static List<string> Jq(params string[] args) => TestKit.Jq.Run(null, args);

    private static void WaitFor(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "condition not met within 20 s");
            Thread.Sleep(50);
        }
    }
}
