using System.Diagnostics;
using KalkiEdge.Appliance;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Scaling across cores: the same pcap file of 1,000 devices under firewall->rate-limit->ips(50) replayed on 1, 2 and 4
/// engine threads (<c>engine: { threads: N }</c>), alternating, in one run: frames/s by wall time and by the process's
/// CPU time (and the calling thread's, which merges), and the ratio of 2 threads to 1 with the load average beside it
/// (a ratio of wall times only means something on an idle machine with at least 2 cores; the ratio of the busiest
/// thread's CPU time approximates it under load), and the machine's ceiling beside it: two replays with nothing
/// shared on two threads at once (<see cref="IndependentReplays"/>), alternated with the others.
/// `make bench ARGS=engine-threads`; KALKI_BENCH_FRAMES sets the capture's length (default 1,000,000).
/// </summary>
public sealed class EngineThreadsSuite : IBenchSuite
{
    private static readonly int[] ThreadCounts = [1, 2, 4];

    private const int Runs = 3;

    public string Name => "engine-threads";

    public string Description => "frames/s replaying one pcap of 1,000 devices on 1, 2 and 4 engine threads (sharded by device), wall and CPU time";

    /// <summary>
    /// Waits (at most 5 s) until the runtime's background compiler has compiled nothing for 200 ms. Building an appliance
    /// makes it compile the build's code to its next tier on a background thread for a while after; on 2 cores that
    /// thread would take a core from a run on 2 engine threads but only an idle one from a run on 1, and skew the ratio.
    /// </summary>
    private static void AwaitQuietCompiler()
    {
        var deadline = Stopwatch.StartNew();
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(200);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now == compiled)
            {
                return;
            }

            compiled = now;
        }
    }

    /// <summary>
    /// Collects the appliances of the runs before, before the next is built: no run pays for collecting an earlier one's
    /// (the ceiling's two appliances are more garbage than any other run leaves), nor is built among its garbage.
    /// </summary>
    private static void CollectEarlierRuns()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>
    /// One untimed replay on each thread count first. Without it the first run's replays ran the engine's code at the
    /// JIT's first tier, and that run's ratios read 2–6× where the later runs' read ~1×.
    /// </summary>
    private static void WarmUp(TrafficMix mix, string chain, string pcap, long frames)
    {
        foreach (var threads in ThreadCounts)
        {
            using var appliance = EngineThroughputSuite.Build(mix, chain);
            IndependentReplays.ReplayOnce(appliance, pcap, threads, frames);
        }
    }

    public void Run(SuiteReport report)
    {
        var frames = EngineThroughputSuite.Frames;
        var mix = TrafficMix.Build(1_000, frames);
        var dir = Directory.CreateTempSubdirectory("kalki-bench-threads-");
        try
        {
            var pcap = Path.Combine(dir.FullName, "mix.pcap");
            mix.WritePcap(pcap);
            var pair = Path.Combine(dir.FullName, "mix-2.pcap");
            File.Copy(pcap, pair);
            var chain = EngineThroughputSuite.FirewallChain.Trim('"') + " -> rate-limit(pps: 100000) -> ips(rules: bench-50.rules)";
            var timings = ThreadCounts.ToDictionary(n => n, _ => new Timing());
            var calling = ThreadCounts.ToDictionary(n => n, _ => new Timing());
            var independent = new Timing();
            WarmUp(mix, chain, pcap, frames);
            for (int run = 0; run < Runs; run++)
            {
                foreach (var threads in ThreadCounts)
                {
                    // A fresh appliance per run: every run starts from the same device state.
                    CollectEarlierRuns();
                    var appliance = EngineThroughputSuite.Build(mix, chain);
                    AwaitQuietCompiler();
                    var cpu = CpuTime.Process();
                    var callingCpu = CpuTime.Thread();
                    var wall = Stopwatch.StartNew();
                    IndependentReplays.ReplayOnce(appliance, pcap, threads, frames);
                    timings[threads].Add(new Timing.Sample(wall.Elapsed.TotalSeconds, CpuTime.Process() - cpu));
                    calling[threads].Add(new Timing.Sample(wall.Elapsed.TotalSeconds, CpuTime.Thread() - callingCpu));
                    appliance.Dispose();
                }

                CollectEarlierRuns();
                EdgeAppliance[] appliances = [EngineThroughputSuite.Build(mix, chain), EngineThroughputSuite.Build(mix, chain)];
                AwaitQuietCompiler();
                independent.Add(IndependentReplays.Run(appliances, [pcap, pair], frames));
                foreach (var appliance in appliances)
                {
                    appliance.Dispose();
                }
            }

            foreach (var threads in ThreadCounts)
            {
                var t = timings[threads];
                report.Add($"firewall->rate-limit->ips(50), 1000 devices, pcap file, {threads} engine thread(s)", frames / t.Wall, "frames/s", t.Spread(frames));
                report.Add($"same, {threads} engine thread(s), per CPU second", frames / t.Cpu, "frames/CPU-s", "all threads of the process: the cost of the hand-offs");
                report.Add($"same, {threads} engine thread(s), CPU of the calling thread", calling[threads].Cpu, "s",
                    $"it reads (or walks) the capture, merges every frame and is shard 0; the others: {t.Cpu - calling[threads].Cpu:F2}s together");
            }

            var load = MachineLoad.OneMinute();
            var roundTrip = CrossCoreRoundTrip.Measure();
            var machine = $"load average {load:F2} on {Environment.ProcessorCount} cores, cache line round trip {roundTrip:F0} ns, both measured after the runs";
            report.Add("ceiling: independent replays on 2 threads / 1 (wall time)", 2 * timings[1].Wall / independent.Wall, "x",
                $"two replays with nothing shared (own appliance, own copy of the file, 1 engine thread each) at once, their frames together against one alone: what 2 threads get on this machine now; {PairedRatios.Describe(Twice(timings[1].Walls), independent.Walls, "run")}; {independent.Spread(2L * frames)}; {machine}");
            report.Add("ceiling: independent replays on 2 threads / 1 (CPU time of the busiest thread)", 2 * timings[1].Cpu / independent.Cpu, "x",
                $"twice 1 thread's process CPU / the larger replaying thread's CPU of the two; {PairedRatios.Describe(Twice(timings[1].Cpus), independent.Cpus, "run")}; {machine}");
            report.Add("ratio 2 engine threads / 1 (wall time)", timings[1].Wall / timings[2].Wall, "x",
                $"target >= 1.7 on an idle 2-core machine, read against the ceiling above; {PairedRatios.Describe(timings[1].Walls, timings[2].Walls, "run")}; {machine}");
            // Wall time follows the scheduler on a loaded machine; the busiest thread's processor time bounds what an idle one
            // would take (a thread that never waited), so this ratio approximates the idle one from below when nobody waits.
            var busiest = Math.Max(calling[2].Cpu, timings[2].Cpu - calling[2].Cpu);
            double[] busiestPerRun = [.. calling[2].Cpus.Zip(timings[2].Cpus, (own, all) => Math.Max(own, all - own))];
            report.Add("ratio 2 engine threads / 1 (CPU time of the busiest thread)", timings[1].Cpu / busiest, "x",
                $"1 thread's process CPU / the larger of the calling thread's and the rest's with 2 (the rest includes the runtime's threads); {PairedRatios.Describe(timings[1].Cpus, busiestPerRun, "run")}; {machine}");
            report.Add("ratio 4 engine threads / 1 (wall time)", timings[1].Wall / timings[4].Wall, "x", $"{PairedRatios.Describe(timings[1].Walls, timings[4].Walls, "run")}; {machine}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Twice each run's time: one replay against two replays' frames at once.</summary>
    private static double[] Twice(IReadOnlyList<double> times) => [.. times.Select(t => 2 * t)];
}
