using System.Diagnostics;
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
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kalki-edge.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"kalki-edge {string.Join(' ', args)} did not finish within 2 minutes");
        }

        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A temporary directory removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kalki-test-" + Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>The repository's root directory (where KalkiEdge.sln is), found from the test's binaries.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(d.FullName, "KalkiEdge.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
