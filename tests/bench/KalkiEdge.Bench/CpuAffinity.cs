using System.Runtime.InteropServices;

namespace KalkiEdge.Bench;

/// <summary>Pins the calling thread to one CPU, for the bench's measurements of what crossing between CPUs costs.</summary>
public static partial class CpuAffinity
{
    /// <summary>False where the call fails (no such CPU, not allowed, not Linux): the thread then runs where the scheduler puts it.</summary>
    public static bool TryPin(int cpu)
    {
        if (cpu is < 0 or >= 64)
        {
            return false;
        }

        ulong mask = 1UL << cpu;
        return sched_setaffinity(0, sizeof(ulong), in mask) == 0; // 0: the calling thread only
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nint cpusetsize, in ulong mask);
}
