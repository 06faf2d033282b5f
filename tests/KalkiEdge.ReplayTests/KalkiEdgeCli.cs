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
    public static CliResult Run(params string[] args) => RunBounded(null, TimeSpan.FromMinutes(2), args);

    /// <summary>
    /// Runs with the managed heap capped at <paramref name="heapLimitBytes"/> (the process fails with
    /// out-of-memory beyond it) and fails the test if it runs longer than <paramref name="timeout"/>.
    /// </summary>
    public static CliResult RunBounded(long? heapLimitBytes, TimeSpan timeout, params string[] args)
    {
        // Hex digits without "0x": both runtimes read the value as hex, and NativeAOT ignores it, silently, with the prefix.
        var environment = heapLimitBytes is { } limit
            ? new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = limit.ToString("x", System.Globalization.CultureInfo.InvariantCulture) }
            : null;
        var r = Firmware.Run(timeout, environment, args);
        return new CliResult(r.ExitCode, r.Stdout, r.Stderr);
    }
}
