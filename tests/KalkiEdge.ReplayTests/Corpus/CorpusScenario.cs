using System.Collections.Concurrent;
using KalkiEdge.ReplayTests.Scenarios;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// One scenario of the corpus: its name, the attack tool or protocol it is written from, the devices (one per type) it
/// runs against, and its replay (<see cref="ReplayWith"/>: with extra top-level site config lines, e.g. the engine's threads).
/// </summary>
internal sealed record CorpusScenario(string Name, string WrittenFrom, IReadOnlyList<ScenarioDevice> Devices, Func<string, CliResult> ReplayWith)
{
    public CliResult Replay() => ReplayWith("");
}

/// <summary>
/// Every scenario of the independently written corpus, each replayed once per test run through the real
/// <c>kalki-edge replay --json</c> (the tests that assert a scenario's alerts and states and the table built
/// from all of them share the one replay).
/// </summary>
internal static class CorpusCatalogue
{
    private static readonly ConcurrentDictionary<string, Lazy<CliResult>> Results = new(StringComparer.Ordinal);

    public static IReadOnlyList<CorpusScenario> All { get; } = [.. ProbeScenarios.All, .. LoginScenarios.All, .. BenignScenarios.All];

    /// <summary>The scenario's replay output (replayed at the first call, then remembered).</summary>
    public static CliResult Result(string name) =>
        Results.GetOrAdd(name, n => new Lazy<CliResult>(() => Find(n).Replay(), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    public static CorpusScenario Find(string name) =>
        All.SingleOrDefault(s => s.Name == name) ?? throw new ArgumentException($"no corpus scenario named '{name}'", nameof(name));
}
