using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KalkiEdge.Bench;

/// <summary>What the suites on the netns testbed share: its script, and stopping a process they started as systemd would.</summary>
public static partial class TestbedProcesses
{
    private const int SigTerm = 15;

    /// <summary>Runs tests/testbed/testbed.sh with <paramref name="args"/>, bounded by <paramref name="limit"/>; its output.</summary>
    public static string Script(TimeSpan limit, params string[] args) =>
        BoundedProcess.Output(limit, Path.Combine(RepoPaths.Testbed, "testbed.sh"), args);

    /// <summary>
    /// Sends SIGTERM (the appliance stops gracefully and prints its final counters; the testbed's tools stop at their
    /// deadline's check) and waits up to <paramref name="grace"/>; whether it exited.
    /// </summary>
    public static bool Terminate(Process process, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(process);
        _ = kill(process.Id, SigTerm);
        return process.WaitForExit(grace);
    }

    [LibraryImport("libc")]
    private static partial int kill(int pid, int signal);
}
