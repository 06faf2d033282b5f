using System.Diagnostics;

namespace KalkiEdge.Bench;

/// <summary>
/// What a cache line costs to move between two cores, beside every suite's figures: two threads pinned to CPUs 0 and 1
/// bounce one line (each stores, then spins until the other's store comes back). On the 2-vCPU VM this moved between
/// ~120 and ~480 ns a round trip from one run to the next (wherever the host put the vCPUs), and the designs whose
/// threads share lines (sharded replay, the live signing thread) won or lost with it (docs/platform.md), so a ratio
/// of theirs means little without it.
/// </summary>
public static class CrossCoreRoundTrip
{
    private const int RoundTrips = 200_000;

    // The bounced value sits 128 bytes into its array and 128 bytes before its end: a line of its own.
    private const int Slot = 16;

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(2);

    public static void Add(SuiteReport report, string when)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ns = Measure();
        var note = Environment.ProcessorCount < 2 ? "one core: nothing to measure"
            : double.IsNaN(ns) ? $"did not finish {RoundTrips:N0} round trips in {Limit.TotalSeconds:F0} s (a thread descheduled: the machine is busy)"
            : $"{RoundTrips:N0} round trips between threads pinned to CPU 0 and CPU 1; under load this measures the scheduler, not the line";
        report.Add($"cache line round trip between two cores at {when}", ns, "ns", note);
    }

    /// <summary>Nanoseconds per round trip, or NaN with fewer than two cores or when the bound ran out first.</summary>
    public static double Measure()
    {
        if (Environment.ProcessorCount < 2)
        {
            return double.NaN;
        }

        var cells = new long[2 * Slot + 1];
        var deadline = Stopwatch.GetTimestamp() + (long)(Limit.TotalSeconds * Stopwatch.Frequency);
        double elapsed = double.NaN;
        var answering = new Thread(() =>
        {
            _ = ThreadPinning.TryPin(1); // unpinned, the threads still run, on CPUs the scheduler picks
            for (long i = 0; i < RoundTrips; i++)
            {
                if (!SpinUntil(cells, (2 * i) + 1, deadline))
                {
                    return;
                }

                Volatile.Write(ref cells[Slot], (2 * i) + 2);
            }
        }) { IsBackground = true, Name = "round trip 1" };
        var asking = new Thread(() =>
        {
            _ = ThreadPinning.TryPin(0);
            var start = Stopwatch.GetTimestamp();
            for (long i = 0; i < RoundTrips; i++)
            {
                Volatile.Write(ref cells[Slot], (2 * i) + 1);
                if (!SpinUntil(cells, (2 * i) + 2, deadline))
                {
                    return;
                }
            }

            elapsed = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
        }) { IsBackground = true, Name = "round trip 0" };
        answering.Start();
        asking.Start();
        asking.Join();
        answering.Join();
        return elapsed / RoundTrips;
    }

    private static bool SpinUntil(long[] cells, long value, long deadline)
    {
        for (int n = 1; Volatile.Read(ref cells[Slot]) != value; n++)
        {
            if ((n & 1023) == 0 && Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }
        }

        return true;
    }
}
