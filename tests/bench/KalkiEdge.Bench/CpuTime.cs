using System.Runtime.InteropServices;

namespace KalkiEdge.Bench;

/// <summary>
/// Processor seconds (user + system) used by this process and by its finished children (getrusage). On a shared,
/// loaded machine wall-clock rates follow the scheduler more than the code; processor time per frame does not, so
/// suites that race an external tool report a processor-time ratio beside the wall-clock one.
/// </summary>
public static partial class CpuTime
{
    private const int Self = 0;
    private const int Children = -1;

    public static double OfSelf() => Seconds(Self);

    /// <summary>Processor time of every child this process has waited for (a run's share is the difference around it).</summary>
    public static double OfChildren() => Seconds(Children);

    private static double Seconds(int who)
    {
        if (getrusage(who, out var usage) != 0)
        {
            return double.NaN;
        }

        return usage.UserSeconds + (usage.UserMicros / 1e6) + usage.SystemSeconds + (usage.SystemMicros / 1e6);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, out Usage usage);

    /// <summary>The start of Linux's struct rusage (two timevals); the rest of its 144 bytes is padding here.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct Usage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
    }
}
