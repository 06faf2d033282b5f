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
        Assert.That(kill(Environment.ProcessId, signal), Is.Zero);
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

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
