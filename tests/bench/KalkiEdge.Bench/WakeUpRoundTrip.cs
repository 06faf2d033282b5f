using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KalkiEdge.Bench;

/// <summary>
/// What handing work to a sleeping thread costs on this machine, measured beside the live bridge's round trips: two
/// threads, each pinned, wake each other through eventfds (one asks, the other answers), each asleep in a blocking
/// read when woken, one round trip at a time with a pause between so that both are asleep, as between the bench's
/// probes. Measured across two CPUs and on one. A user-space bridge hands every frame from the kernel's receive path
/// to its capture thread and back into the kernel, on top of what the kernel bridge does, so its added round trip
/// cannot be below what these hand-offs cost unless the capture thread never sleeps.
/// </summary>
public static partial class WakeUpRoundTrip
{
    private const int DefaultRoundTrips = 1_000;
    private const int Cloexec = 0x80000;

    /// <summary>Added to an eventfd to end the measurement: whoever reads at least this stops.</summary>
    private const ulong Stop = 1UL << 40;

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(1);

    /// <summary>Round trips in microseconds (each two wake-ups); <see cref="double.NaN"/> where it could not be measured.</summary>
    public readonly record struct Reading(double P50Micros, double P99Micros, int Completed, string Problem);

    /// <summary>Adds the cross-CPU and the same-CPU readings to <paramref name="report"/>.</summary>
    public static void Add(SuiteReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var note = $"{DefaultRoundTrips:N0} eventfd round trips {Pause.TotalMilliseconds:F0} ms apart, both threads pinned and asleep when woken: two wake-ups each";
        foreach (var (label, asking, answering) in (ReadOnlySpan<(string, int, int)>)[("threads on CPU 0 and CPU 1", 0, 1), ("both threads on CPU 0", 0, 0)])
        {
            var reading = Environment.ProcessorCount < 2 && asking != answering
                ? new Reading(double.NaN, double.NaN, 0, "one core: nothing to measure")
                : Measure(asking, answering, DefaultRoundTrips);
            var why = reading.Problem.Length > 0 ? reading.Problem : note;
            report.Add($"wake-up round trip, {label}, p50", reading.P50Micros, "µs", why);
            report.Add($"wake-up round trip, {label}, p99", reading.P99Micros, "µs", "");
        }
    }

    /// <summary>
    /// <paramref name="roundTrips"/> round trips between a thread on <paramref name="askingCpu"/> and one on
    /// <paramref name="answeringCpu"/>. NaN with the reason when a thread cannot be pinned there or the round trips
    /// take over a second more than their pauses (a thread descheduled: the machine is busy).
    /// </summary>
    public static Reading Measure(int askingCpu, int answeringCpu, int roundTrips)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(roundTrips);
        int ask = eventfd(0, Cloexec), answer = eventfd(0, Cloexec);
        try
        {
            if (ask < 0 || answer < 0)
            {
                return Failed(0, $"eventfd failed (errno {Marshal.GetLastPInvokeError()})");
            }

            string? answerProblem = null, askProblem = null;
            var micros = new List<double>(roundTrips);
            var answering = new Thread(() => answerProblem = Answer(answeringCpu, ask, answer, roundTrips)) { IsBackground = true, Name = "wake-up answer" };
            var asking = new Thread(() => askProblem = Ask(askingCpu, ask, answer, micros, roundTrips)) { IsBackground = true, Name = "wake-up ask" };
            answering.Start();
            asking.Start();
            string? late = null;
            if (!asking.Join((roundTrips * 2 * Pause) + TimeSpan.FromSeconds(1)))
            {
                late = "the round trips took too long (a thread descheduled: the machine is busy)";
                EndBoth(ask, answer);
            }

            asking.Join();
            answering.Join();
            var problem = answerProblem ?? askProblem ?? late;
            return problem is null
                ? new Reading(Bench.Measure.Percentile(micros, 50), Bench.Measure.Percentile(micros, 99), micros.Count, "")
                : Failed(micros.Count, problem);
        }
        finally
        {
            Close(ask);
            Close(answer);
        }
    }

    private static string? Answer(int cpu, int ask, int answer, int roundTrips)
    {
        if (!ThreadPinning.TryPin(cpu))
        {
            EndBoth(ask, answer);
            return $"cannot pin a thread to CPU {cpu}";
        }

        for (int i = 0; i < roundTrips; i++)
        {
            if (Take(ask) >= Stop)
            {
                return null; // ended by the other side or by the bound, which say why
            }

            Add(answer, 1);
        }

        return null;
    }

    private static string? Ask(int cpu, int ask, int answer, List<double> micros, int roundTrips)
    {
        if (!ThreadPinning.TryPin(cpu))
        {
            EndBoth(ask, answer);
            return $"cannot pin a thread to CPU {cpu}";
        }

        for (int i = 0; i < roundTrips; i++)
        {
            Thread.Sleep(Pause);
            var start = Stopwatch.GetTimestamp();
            Add(ask, 1);
            if (Take(answer) >= Stop)
            {
                return null; // ended by the other side or by the bound, which say why
            }

            micros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return null;
    }

    private static Reading Failed(int completed, string problem) => new(double.NaN, double.NaN, completed, problem);

    private static void EndBoth(int ask, int answer)
    {
        Add(ask, Stop);
        Add(answer, Stop);
    }

    private static void Add(int fd, ulong value) => _ = write(fd, in value, sizeof(ulong));

    // Sleeps until the counter is non-zero, then takes it (0 on a failed read, which ends nothing: the join's bound does).
    private static ulong Take(int fd) => read(fd, out var value, sizeof(ulong)) == sizeof(ulong) ? value : 0;

    private static void Close(int fd)
    {
        if (fd >= 0)
        {
            _ = close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, out ulong value, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, in ulong value, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
