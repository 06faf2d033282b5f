using System.Runtime.InteropServices;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// Which CPUs a thread may run on (sched_getaffinity / sched_setaffinity; with pid 0 both act on the calling thread
/// only, as Linux threads are tasks). The polling core (<see cref="Bridge.PollCpu"/>) pins its thread with it.
/// </summary>
public static partial class CpuAffinity
{
    // glibc's cpu_set_t: 1024 CPUs, far more than any board this runs on.
    private const int MaxCpus = 1024;
    private const int MaskBytes = MaxCpus / 8;

    /// <summary>The CPUs the calling thread may run on (at start, the process's: taskset, cgroup cpuset); empty off Linux.</summary>
    public static unsafe IReadOnlySet<int> Allowed()
    {
        var cpus = new SortedSet<int>();
        if (!OperatingSystem.IsLinux())
        {
            return cpus;
        }

        var mask = stackalloc byte[MaskBytes];
        if (sched_getaffinity(0, MaskBytes, mask) != 0)
        {
            return cpus;
        }

        for (int cpu = 0; cpu < MaxCpus; cpu++)
        {
            if ((mask[cpu / 8] & (1 << (cpu % 8))) != 0)
            {
                cpus.Add(cpu);
            }
        }

        return cpus;
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/> alone; throws if the kernel refuses (CPU offline or outside the cpuset).</summary>
    public static unsafe void PinCallingThread(int cpu)
    {
        if (!OperatingSystem.IsLinux() || cpu is < 0 or >= MaxCpus)
        {
            throw new InvalidOperationException($"cannot pin a thread to CPU {cpu} here (Linux, CPUs 0..{MaxCpus - 1})");
        }

        var mask = stackalloc byte[MaskBytes];
        new Span<byte>(mask, MaskBytes).Clear();
        mask[cpu / 8] = (byte)(1 << (cpu % 8));
        if (sched_setaffinity(0, MaskBytes, mask) != 0)
        {
            throw new InvalidOperationException($"cannot pin the thread to CPU {cpu}: sched_setaffinity failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sched_getaffinity(int pid, nuint size, byte* mask);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sched_setaffinity(int pid, nuint size, byte* mask);
}
