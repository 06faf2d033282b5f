using System.Text;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// The corpus as a Markdown table, built from the replay output of every scenario: per scenario and device type,
/// the alerts raised, the states the device went through and the policy rules that moved it (with the image put
/// in force). <c>make corpus-doc</c> writes it to docs/detection-corpus.md; a test keeps that file equal to it.
/// </summary>
internal static class CorpusTable
{
    public static string DocPath => Path.Combine(RepoPaths.Root, "docs", "detection-corpus.md");

    public static string Markdown(IEnumerable<(CorpusScenario Scenario, CliResult Result)> replays)
    {
        var b = new StringBuilder();
        b.Append("# Detection corpus\n\n");
        b.Append("Captures written from the protocols and the attack tools (nmap's scan types and timings, hping3, hydra,\n");
        b.Append("medusa, Mirai-style default logins) and from each family's ordinary life, not from the packs' own\n");
        b.Append("fixtures: `tests/KalkiEdge.ReplayTests/Corpus`. Every scenario is replayed through `kalki-edge replay --json`\n");
        b.Append("with the shipped packs, and this table is that output (`make corpus-doc` writes it; `make test` fails when\n");
        b.Append("it differs). The tests beside the generators assert the expected alerts and states of each scenario.\n\n");
        b.Append("| Scenario | Written from | Device type | Alerts | States | Reaction (rule → image) |\n");
        b.Append("|---|---|---|---|---|---|\n");
        foreach (var (scenario, result) in replays)
        {
            foreach (var (host, type, _) in scenario.Devices)
            {
                var device = host.Name;
                var alerts = CorpusReplay.Alerts(result, device).Distinct().ToList();
                var transitions = result.OfKind("transition").Where(t => t.GetProperty("device").GetString() == device).ToList();
                var states = transitions.Count == 0
                    ? "Normal"
                    : string.Join(" → ", transitions.Select(t => t.GetProperty("from").GetString()).Append(transitions[^1].GetProperty("to").GetString()));
                var reaction = transitions.Count == 0 ? "—" : string.Join("; ", transitions.Select(Reaction));
                b.Append($"| {scenario.Name} | {scenario.WrittenFrom} | {type} | {(alerts.Count == 0 ? "none" : string.Join(", ", alerts))} | {states} | {reaction} |\n");
            }
        }

        return b.ToString();
    }

    private static string Reaction(System.Text.Json.JsonElement transition)
    {
        var rule = transition.GetProperty("rule").GetString();
        return transition.TryGetProperty("image", out var image) && image.GetString() is { } name ? $"{rule} → {name}" : $"{rule}";
    }
}
