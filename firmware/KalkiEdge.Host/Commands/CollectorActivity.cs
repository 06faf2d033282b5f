using System.Diagnostics;
using System.Globalization;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// What the .NET garbage collector did over a stretch of time: bytes allocated, collections per generation and
/// the time it held every managed thread. The live bridge prints it at stop because a collection also stops the
/// capture threads, and the capture ring must hold what arrives meanwhile.
/// </summary>
internal readonly record struct CollectorActivity(long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Timestamp)
{
    public static CollectorActivity Now() => new(
        GC.GetTotalAllocatedBytes(precise: false),
        GC.CollectionCount(0),
        GC.CollectionCount(1),
        GC.CollectionCount(2),
        GC.GetTotalPauseDuration(),
        Stopwatch.GetTimestamp());

    /// <summary>One line: what happened between <paramref name="start"/> and this snapshot.</summary>
    public string DescribeSince(CollectorActivity start)
    {
        var seconds = Math.Max(Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds, 1e-3);
        var allocated = AllocatedBytes - start.AllocatedBytes;
        // CollectionCount(n) counts collections of generation n or higher; the line gives each generation's own.
        int gen2 = Gen2 - start.Gen2, gen1 = Gen1 - start.Gen1 - gen2, gen0 = Gen0 - start.Gen0 - gen1 - gen2;
        return string.Create(CultureInfo.InvariantCulture,
            $"garbage collector while bridging ({seconds:F0} s): {allocated} bytes allocated ({allocated / seconds:F0} B/s), collections gen0 {gen0}, gen1 {gen1}, gen2 {gen2}, managed threads paused {(Paused - start.Paused).TotalMilliseconds:F1} ms in all");
    }
}
