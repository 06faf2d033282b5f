using System.Diagnostics;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// The machine's ceiling for two engine threads: two replays with nothing shared (each its own appliance and its own
/// copy of the capture file, each on one engine thread) started together on two threads of this process. Their
/// frames together over the wall time until both are done, against one replay alone, is what two threads can get here
/// at all, this minute: the sharded run's ratio is read against it.
/// </summary>
internal static class IndependentReplays
{
    /// <summary>
    /// Replays <paramref name="pcaps"/> (one per thread, each with its own appliance) at once; returns the wall time from
    /// the common start until the last is done, and the largest one thread's processor time.
    /// </summary>
    public static Timing.Sample Run(IReadOnlyList<EdgeAppliance> appliances, IReadOnlyList<string> pcaps, long frames)
    {
        using var start = new Barrier(appliances.Count + 1);
        var cpu = new double[appliances.Count];
        var failures = new Exception?[appliances.Count];
        var threads = new Thread[appliances.Count];
        for (int i = 0; i < threads.Length; i++)
        {
            var index = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    var before = CpuTime.Thread();
                    ReplayOnce(appliances[index], pcaps[index], threads: 1, frames);
                    cpu[index] = CpuTime.Thread() - before;
                }
                catch (Exception e)
                {
                    failures[index] = e;
                }
            }) { Name = $"independent replay {i}" };
            threads[i].Start();
        }

        start.SignalAndWait();
        var wall = Stopwatch.StartNew();
        foreach (var thread in threads)
        {
            thread.Join();
        }

        var elapsed = wall.Elapsed.TotalSeconds;
        if (failures.FirstOrDefault(f => f is not null) is { } failure)
        {
            throw new InvalidOperationException("an independent replay failed", failure);
        }

        return new Timing.Sample(elapsed, cpu.Max());
    }

    /// <summary>One replay of <paramref name="pcap"/> on <paramref name="threads"/> engine threads, which must process every one of <paramref name="frames"/>.</summary>
    public static void ReplayOnce(EdgeAppliance appliance, string pcap, int threads, long frames)
    {
        using var source = new PcapFileSource(pcap);
        var result = new ReplayRunner(appliance, new NullObserver()) { Threads = threads }.Run(source);
        if (result.Frames != frames)
        {
            throw new InvalidOperationException($"{threads} threads processed {result.Frames:N0} of {frames:N0} frames");
        }
    }
}
