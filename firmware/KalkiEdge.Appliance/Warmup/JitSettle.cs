using System.Diagnostics;
using System.Runtime;

namespace KalkiEdge.Appliance.Warmup;

/// <summary>
/// Waits for the runtime's tiered compilation to go quiet. Methods warmed at tier 0 are recompiled optimized on a
/// background thread once the JIT has been idle for ~100 ms; without waiting, that backlog (tens of milliseconds of
/// CPU on a 2-core Pi) lands in the first quiet moment of live traffic, next to the first reactions.
/// </summary>
public static class JitSettle
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    /// <summary>True once no method was compiled for <paramref name="quiet"/>; false if that did not happen within <paramref name="limit"/>.</summary>
    public static bool Wait(TimeSpan quiet, TimeSpan limit)
    {
        var total = Stopwatch.StartNew();
        var idle = Stopwatch.StartNew();
        long compiled = JitInfo.GetCompiledMethodCount();
        while (total.Elapsed < limit)
        {
            Thread.Sleep(Poll);
            long now = JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                idle.Restart();
            }
            else if (idle.Elapsed >= quiet)
            {
                return true;
            }
        }

        return false;
    }
}
