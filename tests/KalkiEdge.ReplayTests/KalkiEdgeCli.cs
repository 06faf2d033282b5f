using System.Text.Json;

namespace KalkiEdge.ReplayTests;

/// <summary>The result of one kalki-edge invocation.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stdout parsed as JSON lines.</summary>
    public IReadOnlyList<JsonElement> Lines => [.. Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    public IEnumerable<JsonElement> OfKind(string kind) => Lines.Where(l => l.GetProperty("kind").GetString() == kind);

    public JsonElement Summary => OfKind("summary").Single();
}

/// <summary>Runs the real kalki-edge executable (built beside the tests) as a child process, bounded in time.</summary>
public static class KalkiEdgeCli
{
    public static CliResult Run(params string[] args)
    {
        var r = BoundedProcess.Run(TimeSpan.FromMinutes(2), "dotnet", [RepoPaths.KalkiEdge, .. args]);
        return new CliResult(r.ExitCode, r.Stdout, r.Stderr);
    }
}
