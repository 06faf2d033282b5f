using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KalkiEdge.Bench;

/// <summary>
/// What handing work to a thread asleep in <c>poll(2)</c> costs on this machine, measured beside the live bridge's
/// round trips: two threads, each pinned, wake each other through eventfds (one asks, the other answers), one round
/// trip at a time with a pause between so that both are asleep, as between the bench's probes. Measured across two
/// CPUs and on one. A user-space bridge hands every frame from the kernel's receive path to its capture thread and
/// back into the kernel, on top of what the kernel bridge does, so its added round trip cannot be below what these
/// hand-offs cost unless the capture thread never sleeps.
/// </summary>
public static partial class WakeUpRoundTrip
{
    private const int DefaultRoundTrips = 1_000;
    private const short PollIn = 0x1;
    private const int Cloexec = 0x80000;

    /// <summary>How long one side waits for the other before the measurement gives up (a thread descheduled).</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(1);

    /// <summary>Round trips in microseconds (each two wake-ups); <see cref="double.NaN"/> where it could not be measured.</summary>
    public readonly record struct Reading(double P50Micros, double P99Micros, int Completed, string Problem);

    /// <summary>Adds the cross-CPU and the same-CPU readings to <paramref name="report"/>.</summary>
    public static void Add(SuiteReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var note = $"{DefaultRoundTrips:N0} eventfd round trips {Pause.TotalMilliseconds:F0} ms apart, both threads pinned and asleep in poll(2) when woken: two wake-ups each";
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
    /// <paramref name="answeringCpu"/>. NaN with the reason when a thread cannot be pinned there or a side waits longer
    /// than <see cref="Patience"/>.
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
            var answering = new Thread(() => answerProblem = Answer(answeringCpu, ask, answer, roundTrips)) { IsBackground = true, Name = "wake-up answer" };
            var micros = new List<double>(roundTrips);
            var asking = new Thread(() => askProblem = Ask(askingCpu, ask, answer, micros, roundTrips)) { IsBackground = true, Name = "wake-up ask" };
            answering.Start();
            asking.Start();
            asking.Join();
            Signal(ask); // an answering side still waiting (the asking side gave up) wakes, finds no round trips left and ends
            answering.Join();
            var problem = answerProblem ?? askProblem; // the answering side's reason first: the asking side only saw no answer
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
        if (!CpuAffinity.TryPin(cpu))
        {
            return $"cannot pin a thread to CPU {cpu}";
        }

        for (int i = 0; i < roundTrips; i++)
        {
            if (!Wait(ask))
            {
                return $"the answering thread waited over {Patience.TotalSeconds:F0} s (the machine is busy)";
            }

            Signal(answer);
        }

        return null;
    }

    private static string? Ask(int cpu, int ask, int answer, List<double> micros, int roundTrips)
    {
        if (!CpuAffinity.TryPin(cpu))
        {
            return $"cannot pin a thread to CPU {cpu}";
        }

        for (int i = 0; i < roundTrips; i++)
        {
            Thread.Sleep(Pause);
            var start = Stopwatch.GetTimestamp();
            Signal(ask);
            if (!Wait(answer))
            {
                return $"the asking thread waited over {Patience.TotalSeconds:F0} s (the machine is busy)";
            }

            micros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return null;
    }

    private static Reading Failed(int completed, string problem) => new(double.NaN, double.NaN, completed, problem);

    private static void Signal(int fd)
    {
        ulong one = 1;
        _ = write(fd, in one, sizeof(ulong));
    }

    // Sleeps in poll(2) until the other side signals, then takes the signal; false after Patience.
    private static bool Wait(int fd)
    {
        var entry = new PollFd { Fd = fd, Events = PollIn };
        if (poll(ref entry, 1, (int)Patience.TotalMilliseconds) != 1)
        {
            return false;
        }

        return read(fd, out _, sizeof(ulong)) == sizeof(ulong);
    }

    private static void Close(int fd)
    {
        if (fd >= 0)
        {
            _ = close(fd);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(ref PollFd fds, nuint nfds, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, out ulong value, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, in ulong value, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
