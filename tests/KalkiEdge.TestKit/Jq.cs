using System.Diagnostics;

namespace KalkiEdge.TestKit;

/// <summary>Debian's jq (make test installs it), the consumer SIEM pipelines and their rules lean on.</summary>
public static class Jq
{
    /// <summary>Runs jq with <paramref name="args"/> on <paramref name="input"/> (standard input; null: none, the arguments name a file); its output lines. Throws when jq fails or takes longer than 30 s.</summary>
    public static List<string> Run(string? input, params string[] args)
    {
        var psi = new ProcessStartInfo("jq") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("jq did not start");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(input ?? "");
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            p.Kill();
            throw new TimeoutException("jq did not finish within 30 s");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"jq {string.Join(' ', args)} exited with {p.ExitCode}: {error.Result}");
        }

        return [.. output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }
}
