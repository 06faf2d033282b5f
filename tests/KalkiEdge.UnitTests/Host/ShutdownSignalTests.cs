using System.Runtime.InteropServices;
using KalkiEdge.Host.Commands;

namespace KalkiEdge.UnitTests.Host;

/// <summary>
/// SIGTERM/SIGINT as the command's cancellation, with real signals sent to this process. The handlers are
/// registered for the life of the process by design, so after these tests the test host, too, ignores
/// SIGTERM/SIGINT (the test runner stops it with SIGKILL).
/// </summary>
[NonParallelizable]
public partial class ShutdownSignalTests
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    [TestCase(SigTerm)]
    [TestCase(SigInt)]
    public void A_signal_cancels_the_token_instead_of_ending_the_process(int signal)
    {
        using var stop = new ShutdownSignal();
        Assert.That(stop.Requested, Is.False);
        var ignoredByParent = signal == SigInt && IgnoredSinceStart(signal);
        Assert.That(kill(Environment.ProcessId, signal), Is.Zero);
        if (ignoredByParent)
        {
            // A shell starts a background job (`cmd &`, nohup) with SIGINT ignored, and the runtime keeps an
            // inherited SIG_IGN for SIGINT/SIGQUIT as every well-behaved program does: Ctrl-C in that terminal
            // must not stop the job. The process survives the signal and the command keeps running.
            Assert.That(stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(2)), Is.False,
                "a signal the parent ignored stays ignored");
            return;
        }

        Assert.That(stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)), Is.True, "the token is cancelled");
        Assert.That(stop.Requested, Is.True);
    }

    [Test]
    public void A_signal_after_the_command_finished_is_ignored()
    {
        var finished = new ShutdownSignal();
        var token = finished.Token;
        using var running = new ShutdownSignal();
        finished.Dispose();

        // One signal reaches both: the running command stops; the finished one neither cancels its disposed token
        // (which would throw on the signal thread and crash the process) nor lets the signal end the process.
        Assert.That(kill(Environment.ProcessId, SigTerm), Is.Zero);
        Assert.That(running.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(token.IsCancellationRequested, Is.False);
    }

    /// <summary>The kernel's ignored-signal mask of this process (SigIgn in /proc/self/status).</summary>
    private static bool IgnoredSinceStart(int signal)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        return (mask & (1UL << (signal - 1))) != 0;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
