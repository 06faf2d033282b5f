using System.Runtime.InteropServices;

namespace KalkiEdge.Bench;

/// <summary>
/// Processor seconds (user + system) from getrusage(2): this process's, the calling thread's, and those of every child
/// process already waited for. On a shared, loaded machine wall-clock rates follow the scheduler more than the code;
/// processor time per frame does not, so suites that race an external tool report a processor-time ratio beside the
/// wall-clock one, never instead of it.
/// </summary>
public static partial class CpuTime
{
    private const int RusageSelf = 0;
    private const int RusageChildren = -1;
    private const int RusageThread = 1;

    /// <summary>User + system seconds of this whole process (every thread) so far.</summary>
    public static double Process() => Seconds(RusageSelf);

    /// <summary>User + system seconds of the calling thread so far.</summary>
    public static double Thread() => Seconds(RusageThread);

    /// <summary>User + system seconds of all waited-for child processes so far (a child's share lands once it is reaped).</summary>
    public static double Children() => Seconds(RusageChildren);

    private static double Seconds(int who)
    {
        Span<long> usage = stackalloc long[18]; // struct rusage: two timevals, then 14 longs
        if (getrusage(who, ref MemoryMarshal.GetReference(usage)) != 0)
        {
            return double.NaN;
        }

        return usage[0] + (usage[1] / 1e6) + usage[2] + (usage[3] / 1e6);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, ref long usage);
}
