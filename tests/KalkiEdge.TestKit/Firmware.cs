using System.Diagnostics;

namespace KalkiEdge.TestKit;

/// <summary>
/// The firmware the tests and benchmarks start: <c>dotnet kalki-edge.dll</c> built beside them, or, when
/// KALKI_FIRMWARE names a published binary, that binary. <c>make test</c> sets it to the NativeAOT build for this
/// machine, so the tests check the form the image ships. A KALKI_FIRMWARE that names no file fails every start with
/// that reason instead of quietly testing the JIT build.
/// </summary>
public static class Firmware
{
    public const string Variable = "KALKI_FIRMWARE";

    /// <summary>The published binary under test, or null for the JIT build.</summary>
    public static string? Binary { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    /// <summary>What runs, for reports: the binary's path or "dotnet kalki-edge.dll".</summary>
    public static string Description => Binary ?? "dotnet kalki-edge.dll";

    /// <summary>The command line that runs the firmware with <paramref name="args"/>: its first element is the file.</summary>
    public static string[] Command(params string[] args)
    {
        if (Binary is null)
        {
            return ["dotnet", RepoPaths.KalkiEdge, .. args];
        }

        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Variable}={Binary}: no such file (build it with make publish-start, or unset {Variable} to test the JIT build)");
        }

        return [Binary, .. args];
    }

    /// <summary>A start of the firmware with <paramref name="args"/>, its output and error streams redirected.</summary>
    public static ProcessStartInfo StartInfo(params string[] args) => Prefixed([], args);

    /// <summary>A start of the firmware under <paramref name="prefix"/> (e.g. <c>ip netns exec NS</c>), streams redirected.</summary>
    public static ProcessStartInfo Prefixed(string[] prefix, params string[] args)
    {
        string[] command = [.. prefix, .. Command(args)];
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.AsSpan(1))
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    /// <summary>Runs the firmware to its end within <paramref name="limit"/>.</summary>
    public static ProcessResult Run(TimeSpan limit, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var command = Command(args);
        return BoundedProcess.Run(limit, environment, command[0], command[1..]);
    }
}
