using System.Runtime.InteropServices;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Bench;

/// <summary>
/// Something a suite needs from the machine (the shim, root, a command). <see cref="Missing"/> is null when it is
/// there, else one line: what is missing and how to get it. `make bench` prints that line and skips the suite
/// instead of failing in the middle of it.
/// </summary>
public sealed partial class Prerequisite(string what, Func<string?> whyMissing)
{
    public string What => what;

    /// <summary>The hypervisor shim the signing measurements load (built by `make bench`, like `make run`).</summary>
    public static Prerequisite Shim { get; } = ShimFrom(HypervisorShim.WhyUnavailable);

    /// <summary>Root: network namespaces and packet capture.</summary>
    public static Prerequisite Root { get; } = RootFrom(() => OperatingSystem.IsLinux() ? geteuid() : uint.MaxValue);

    public static Prerequisite Suricata { get; } = new("suricata 7", () =>
        Suites.Suricata.Find() is null ? "suricata is not installed: run `sudo sh tests/peers/install-suricata.sh` (or `make test-deps`)" : null);

    /// <summary>Null when met, else "what: why, and how to get it".</summary>
    public string? Missing() => whyMissing() is { } why ? $"{what}: {why}" : null;

    public static Prerequisite ShimFrom(Func<string?> whyUnavailable) => new("the hypervisor shim (libkalkishim.so)", () =>
        whyUnavailable() is null ? null : "not built: run `make shim` (`make bench` builds it)");

    public static Prerequisite RootFrom(Func<uint> effectiveUserId) => new("root", () =>
        effectiveUserId() == 0 ? null : "the suite builds network namespaces and captures packets: run `sudo make bench`");

    /// <summary>An executable on PATH, from the named Debian package.</summary>
    public static Prerequisite Command(string command, string debianPackage) => new($"`{command}`", () =>
        OnPath(command) ? null : $"not on PATH: `sudo apt-get install {debianPackage}`");

    /// <summary>The line `make bench` prints for a suite that cannot run, or null when everything it needs is here.</summary>
    public static string? SkipLine(string suite, IEnumerable<Prerequisite> required)
    {
        var missing = required.Select(p => p.Missing()).OfType<string>().ToList();
        return missing.Count == 0 ? null : $"skipped {suite}: needs {string.Join("; ", missing)}";
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, command)));

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
