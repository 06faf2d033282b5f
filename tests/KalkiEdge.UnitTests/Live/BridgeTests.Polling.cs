using System.Diagnostics;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.TestKit;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Live;

/// <summary>The polling core (<see cref="Bridge.PollCpu"/>): one pinned thread that never sleeps serves every port.</summary>
public sealed partial class BridgeTests
{
    /// <summary>The highest CPU this test process may run on (the bench's choice too).</summary>
    private static int PollingCpu => CpuAffinity.Allowed().Max();

    [Test]
    public void The_polling_core_bridges_both_ways_on_one_thread_pinned_to_its_cpu()
    {
        using var bridge = Build(_dev0, pollCpu: PollingCpu);
        bridge.Start();
        _dev0.Receive(Frames.IcmpEcho("192.0.2.10", "192.0.2.100", srcMac: Hue, dstMac: Cloud));
        _up0.Receive(Frames.IcmpEcho("192.0.2.100", "192.0.2.10", srcMac: Cloud, dstMac: Hue));
        WaitUntil(() => _up0.Sent.Count == 1 && _dev0.Sent.Count == 1);
        var threads = CaptureThreads();
        bridge.Stop();

        Assert.Multiple(() =>
        {
            Assert.That(Mac.Read(_up0.Sent.Single().AsSpan(6, 6)), Is.EqualTo(M(Hue)));
            Assert.That(Mac.Read(_dev0.Sent.Single().AsSpan(6, 6)), Is.EqualTo(M(Cloud)));
            Assert.That(threads, Is.EqualTo(new[] { ("capture poll cp", PollingCpu.ToString(System.Globalization.CultureInfo.InvariantCulture)) }), "one capture thread (comm is cut to 15 bytes), on the polling CPU only");
            Assert.That(bridge.Failure, Is.Null);
        });
    }

    [Test]
    public void On_the_polling_core_replies_leave_by_the_port_the_frame_came_in()
    {
        _engine.Devices.ByMac(M(Hue))!.Swap(EchoBack.Chain.Instantiate());
        using var bridge = Build(_dev0, pollCpu: PollingCpu);
        bridge.Start();
        _dev0.Receive(Frames.IcmpEcho("192.0.2.10", "192.0.2.100", srcMac: Hue, dstMac: Cloud));
        _up0.Receive(Frames.IcmpEcho("192.0.2.100", "192.0.2.10", srcMac: Cloud, dstMac: Hue));
        WaitUntil(() => _up0.Sent.Count == 1 && _dev0.Sent.Count == 1);
        bridge.Stop();

        Assert.Multiple(() =>
        {
            Assert.That(_dev0.Sent.Select(Destination), Is.EqualTo(new[] { M(Hue) }), "reply to the device's frame goes back to the device");
            Assert.That(_up0.Sent.Select(Destination), Is.EqualTo(new[] { M(Cloud) }), "reply to the cloud's frame goes back up");
        });
    }

    [Test]
    public void The_polling_core_batches_what_is_queued_behind_a_frame_and_sends_the_rest_as_soon_as_the_port_runs_dry()
    {
        var sent = Enumerable.Range(0, 100).Select(i => Frames.Udp("192.0.2.10", (ushort)(40000 + i), "192.0.2.100", 7, "x", srcMac: Hue, dstMac: Cloud)).ToArray();
        foreach (var frame in sent)
        {
            _dev0.Receive(frame);
        }

        using var bridge = new Bridge(_engine, () => new ElementContext(_alerts), [_dev0], _up0, new ManagementFilter([], [])) { TransmitBatch = 32, PollCpu = PollingCpu };
        bridge.Start();
        WaitUntil(() => _up0.Sent.Count == 100);
        _dev0.Receive(sent[0]); // dry again: a lone frame is not held for company
        WaitUntil(() => _up0.Sent.Count == 101);
        bridge.Stop();

        Assert.Multiple(() =>
        {
            Assert.That(_up0.Sent.Take(100), Is.EqualTo(sent), "every frame, in order");
            Assert.That(_up0.Batches.SelectMany(b => b.Flushed), Is.EqualTo(new[] { 32, 32, 32, 4, 1 }), "dev0's frames' batches to up0");
        });
    }

    [Test]
    public void The_polling_core_stops_promptly()
    {
        using var bridge = Build(_dev0, pollCpu: PollingCpu);
        bridge.Start();
        Assert.That(CaptureThreads(), Has.Length.EqualTo(1), "polling");
        var clock = Stopwatch.StartNew();
        bridge.Stop();

        Assert.Multiple(() =>
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
            Assert.That(bridge.Failure, Is.Null, "the thread ended within Stop's bounded wait");
        });
        WaitUntil(() => CaptureThreads().Length == 0); // a joined thread's task may take a moment to go
    }

    [Test]
    public void A_failing_port_on_the_polling_core_faults_the_whole_bridge()
    {
        using var broken = new BrokenPort();
        using var bridge = new Bridge(_engine, () => new ElementContext(_alerts), [_dev0, broken], _up0, new ManagementFilter([], [])) { PollCpu = PollingCpu };
        bridge.Start();

        Assert.That(bridge.Faulted.WaitOne(TimeSpan.FromSeconds(5)), Is.True);
        bridge.Stop();
        Assert.That(bridge.Failure!.Message, Does.Contain("dev9").And.Contain("interface went away"));
    }

    [Test]
    public void A_polling_core_that_cannot_be_pinned_reads_nothing_and_faults_the_bridge_before_start_returns()
    {
        _dev0.Receive(Frames.IcmpEcho("192.0.2.10", "192.0.2.100", srcMac: Hue, dstMac: Cloud));
        // A slow start (each port's context takes a while) so that only Start waiting for the thread sees the failure at once.
        using var bridge = new Bridge(_engine, SlowContext, [_dev0], _up0, new ManagementFilter([], [])) { PollCpu = 1023 };
        bridge.Start();

        Assert.Multiple(() =>
        {
            Assert.That(bridge.Faulted.WaitOne(0), Is.True, "Start returned with the failure already known");
            Assert.That(bridge.Failure!.Message, Does.Contain("CPU 1023"));
            Assert.That((_dev0.Counters.Received, _up0.Sent.Count), Is.EqualTo((0L, 0)), "nothing read, nothing crossed");
        });
    }

    private ElementContext SlowContext()
    {
        Thread.Sleep(200);
        return new ElementContext(_alerts);
    }

    /// <summary>This process's capture threads (name as the kernel keeps it, 15 bytes) and the CPUs each may run on.</summary>
    private static (string Name, string Cpus)[] CaptureThreads() =>
        [.. ThreadCpus.Of("self", "capture").Select(t => (t.Name, t.Cpus))];
}
