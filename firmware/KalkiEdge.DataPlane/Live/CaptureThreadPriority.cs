using System.Runtime.InteropServices;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// Gives the calling capture thread a higher scheduling priority (a lower nice value). The kernel bridge does its
/// forwarding in softirq, ahead of every process; a user-space bridge competing at nice 0 with the dashboard or
/// control plane loses frames to the ring whenever the CPU is busy. Best effort: without CAP_SYS_NICE it stays put.
/// </summary>
public static partial class CaptureThreadPriority
{
    public const int DefaultNice = -10;

    private const int PrioProcess = 0;

    /// <summary>True if the thread now runs at <paramref name="nice"/>.</summary>
    public static bool TryApply(int nice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value only.
        return setpriority(PrioProcess, (uint)gettid(), nice) == 0;
    }

    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, uint who, int prio);
}
