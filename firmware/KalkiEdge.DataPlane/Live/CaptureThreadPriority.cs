using System.Runtime.InteropServices;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// Gives the calling enforcement thread (a capture thread, the control loop) a higher scheduling priority. The kernel
/// bridge does its forwarding in softirq, ahead of every process; a user-space bridge competing at nice 0 with the
/// dashboard or control plane loses frames to the ring whenever the CPU is busy. A lower nice value is not enough
/// for reaction time: measured on the 2-core testbed at load 5–7, a nice -10 thread still woke up to 5–11 ms late
/// (p99.9 / max of a 1 ms sleep), which a reaction pays two or three times (capture, control loop, capture); under
/// SCHED_FIFO p99 was 70 µs. So a real-time priority comes first, the nice value is the fallback. These threads
/// block between frames and alerts; a flood keeping a capture thread busy is bounded by the kernel's real-time
/// throttling (sched_rt_runtime_us) like the kernel bridge's softirq work is. Best effort: without CAP_SYS_NICE
/// (or an RT budget in the cgroup) the thread stays where it was.
/// </summary>
public static partial class CaptureThreadPriority
{
    public const int DefaultNice = -10;

    /// <summary>SCHED_FIFO priority of the enforcement threads (1 lowest .. 99; 0 = none): low, below the kernel's own RT threads.</summary>
    public const int DefaultRealtimePriority = 10;

    private const int PrioProcess = 0;
    private const int SchedFifo = 1;

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

    /// <summary>
    /// SCHED_FIFO at <paramref name="realtimePriority"/> when it is above 0, else (or when that is refused) the nice
    /// value. True if the thread got what was asked for; false if it fell back to the nice value or stayed put.
    /// </summary>
    public static bool TryApply(int nice, int realtimePriority)
    {
        bool niced = TryApply(nice); // also the priority it keeps should the real-time class be given up later
        if (realtimePriority <= 0)
        {
            return niced;
        }

        return TryApplyRealtime(realtimePriority);
    }

    /// <summary>SCHED_FIFO at <paramref name="realtimePriority"/> (1..99) for the calling thread; true if granted.</summary>
    public static bool TryApplyRealtime(int realtimePriority)
    {
        var param = new SchedParam { Priority = realtimePriority };
        return OperatingSystem.IsLinux() && sched_setscheduler(gettid(), SchedFifo, in param) == 0;
    }

    /// <summary>
    /// The calling thread's SCHED_FIFO priority, 0 in the normal class. A thread the runtime starts keeps its creator's
    /// nice value but not its real-time class, so a helper thread of a capture thread takes this over explicitly.
    /// </summary>
    public static int CurrentRealtimePriority()
    {
        if (!OperatingSystem.IsLinux() || sched_getscheduler(0) != SchedFifo)
        {
            return 0;
        }

        return sched_getparam(0, out var param) == 0 ? param.Priority : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, uint who, int prio);

    // With 0, the calling thread's.
    [LibraryImport("libc")]
    private static partial int sched_getscheduler(int pid);

    [LibraryImport("libc")]
    private static partial int sched_getparam(int pid, out SchedParam param);

    // With a thread id, sched_setscheduler changes that thread only (Linux threads are tasks).
    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, in SchedParam param);
}
