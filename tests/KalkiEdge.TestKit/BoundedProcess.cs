using System.Diagnostics;

namespace KalkiEdge.TestKit;

/// <summary>The result of one child process.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs a command to completion, never longer than its time limit (killed, then <see cref="TimeoutException"/>).</summary>
public static class BoundedProcess
{
    public static ProcessResult Run(TimeSpan limit, string file, params IEnumerable<string> args) =>
        Run(limit, environment: null, file, args);

    /// <summary>As <see cref="Run(TimeSpan, string, IEnumerable{string})"/>, with extra environment variables for the child.</summary>
    public static ProcessResult Run(TimeSpan limit, IReadOnlyDictionary<string, string>? environment, string file, params IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(TimeSpan.FromSeconds(5));
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {limit.TotalSeconds} s");
        }

        p.WaitForExit(); // drains the redirected output
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Standard output of a command that must succeed; otherwise an exception with its exit code and stderr.</summary>
    public static string Output(TimeSpan limit, string file, params IEnumerable<string> args)
    {
        var arguments = args.ToArray();
        var r = Run(limit, file, arguments);
        return r.ExitCode == 0 ? r.Stdout : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)}: exit {r.ExitCode}: {r.Stderr}");
    }
}
