using KalkiEdge.Appliance.Live;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.UnitTests.Assurance;

namespace KalkiEdge.UnitTests.Live;

/// <summary>
/// Packet signing on a signing thread beside the capture thread (<see cref="SigningThreadEgress"/>): the hand-off
/// ring's backpressure, the egress check against the generation that produced each frame, failure of the signing
/// thread, and the bridge's capture threads with one each.
/// </summary>
public sealed class SigningThreadTests : LiveSigningFixture
{
    private Bridge _bridge = null!;
    private ElementContext _context = null!;
    private readonly List<SigningCounters> _counters = [];

    [SetUp]
    public void CreateBridge()
    {
        _bridge = NewBridge(pollCpu: null);
        _context = new ElementContext(Alerts);
        _counters.Clear();
    }

    [TearDown]
    public void DisposeBridge() => _bridge.Dispose(); // stops the capture threads (the fixture disposes the ports after)

    [Test]
    public void A_full_ring_makes_the_capture_thread_wait_and_nothing_is_lost_or_reordered()
    {
        using var busy = new ManualResetEventSlim();
        using var goOn = new ManualResetEventSlim();
        var egress = Egress(capacity: 4);
        egress.Start("dev0", () => Hold(busy, goOn)); // the signing thread stays busy after its first frame
        int handedOver = 0;
        Send(egress, 0);
        egress.Release(); // the port ran dry: what is handed over goes to the signing thread
        Assert.That(busy.Wait(Patience), Is.True, "the signing thread took the first frame");

        var capture = Task.Run(() =>
        {
            for (int i = 1; i < 100; i++)
            {
                Send(egress, i);
                Volatile.Write(ref handedOver, i);
            }
        });
        Assert.That(WaitUntil(() => egress.Backpressure == 1), Is.True, "the capture thread found the ring full");
        Thread.Sleep(50);
        Assert.Multiple(() =>
        {
            Assert.That(Volatile.Read(ref handedOver), Is.EqualTo(4), "it waits with the ring's 4 slots full, never bypassing the signer");
            Assert.That(capture.IsCompleted, Is.False);
            Assert.That(Up0.Sent, Has.Count.EqualTo(1), "nothing left but what was signed");
        });

        goOn.Set();
        Assert.That(capture.Wait(Patience), Is.True, "the capture thread goes on once slots are free");
        egress.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(Up0.Sent, Is.EqualTo(Enumerable.Range(0, 100).Select(ToCloud)), "every frame, in order, unchanged");
            Assert.That((egress.Counters.Released, egress.Counters.Dropped), Is.EqualTo((100L, 0L)));
        });
    }

    [Test]
    public void A_frame_of_a_chain_swapped_between_hand_off_and_egress_is_dropped_with_signature_failure()
    {
        using var busy = new ManualResetEventSlim();
        using var goOn = new ManualResetEventSlim();
        var egress = Egress();
        egress.Start("dev0", () => Hold(busy, goOn));
        Send(egress, 1);
        egress.Release();
        Assert.That(busy.Wait(Patience), Is.True);

        Send(egress, 2); // left the chain in force, waits in the ring
        egress.Release();
        HueSlot.Swap(Compile("firewall(default: allow)").Instantiate()); // the control plane moves hue on: new epoch
        Send(egress, 3); // the new chain's frame
        goOn.Set();
        egress.Dispose();

        var failure = Alerts.Alerts.SingleOrDefault(a => a.Type == AlertTypes.SignatureFailure);
        Assert.Multiple(() =>
        {
            Assert.That(Up0.Sent, Is.EqualTo(new[] { ToCloud(1), ToCloud(3) }), "the swapped-out chain's frame never leaves");
            Assert.That((egress.Counters.Stale, egress.Counters.Released), Is.EqualTo((1L, 2L)));
            Assert.That(failure?.Device, Is.EqualTo("hue"), "signature-failure alert");
            Assert.That(failure?.Info, Does.Contain("epoch 1").And.Contain("epoch 2"));
        });
    }

    [Test]
    public void When_the_signing_thread_fails_the_capture_thread_stops_instead_of_sending_unsigned()
    {
        var egress = Egress();
        egress.Start("dev0", () => throw new IOException("up0: send failed"));
        Send(egress, 1);
        egress.Release();

        Assert.That(WaitUntil(() => Throws(egress.Release)), Is.True, "the failure reaches the capture thread");
        var e = Assert.Throws<InvalidOperationException>(() => Send(egress, 2));
        Assert.That(e!.Message, Does.Contain("sign dev0").And.Contain("up0: send failed"));
        egress.Dispose();
        Assert.That(Up0.Sent, Has.Count.LessThanOrEqualTo(1), "frame 2 was never handed over");
    }

    [Test]
    public void A_parked_signing_thread_is_not_woken_for_a_batch_short_of_its_mark_but_at_once_when_the_port_runs_dry()
    {
        var egress = Egress();
        egress.Start("dev0", static () => { });
        Thread.Sleep(200); // nothing to sign: the signing thread parks
        for (int i = 0; i < 16; i++)
        {
            Send(egress, i); // the 16th publishes the batch
        }

        Assert.Multiple(() =>
        {
            Assert.That(egress.SigningWakes, Is.Zero, "16 frames published, short of the 64 a wake waits for: no system call");
            Assert.That(egress.Holding, Is.True, "the bridge must still release them when its port runs dry");
        });

        egress.Release();
        Assert.That(WaitUntil(() => Up0.Counters.Sent == 16), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(egress.SigningWakes, Is.EqualTo(1), "the port running dry woke it once");
            Assert.That(egress.Holding, Is.False);
        });
        egress.Dispose();
    }

    [Test]
    public void The_signing_thread_runs_in_the_capture_threads_real_time_class()
    {
        var egress = Egress();
        bool granted = false;
        int signingPriority = -1;
        var capture = new Thread(() =>
        {
            granted = CaptureThreadPriority.TryApplyRealtime(1);
            egress.Start("dev0", () => Volatile.Write(ref signingPriority, CaptureThreadPriority.CurrentRealtimePriority()));
        });
        capture.Start();
        capture.Join();
        if (!granted)
        {
            egress.Dispose();
            Assert.Ignore("SCHED_FIFO refused (needs root or CAP_SYS_NICE, as the live bridge does)");
        }

        Send(egress, 1);
        egress.Release();
        Assert.That(WaitUntil(() => Volatile.Read(ref signingPriority) >= 0), Is.True, "the signing thread sent and flushed");
        egress.Dispose();
        Assert.That(signingPriority, Is.EqualTo(1), "SCHED_FIFO 1 like the capture thread that started it (a new thread is not given it)");
    }

    [Test]
    public void A_frame_handed_over_before_the_thread_starts_is_refused()
    {
        using var egress = Egress();
        Assert.Throws<InvalidOperationException>(() => Send(egress, 1));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void On_the_bridge_each_ports_frames_are_signed_on_their_own_signing_thread_and_cross_in_order(bool pollingCore)
    {
        for (int i = 0; i < 200; i++)
        {
            Dev0.Receive(ToCloud(i));
            Up0.Receive(ToHue(i));
        }

        // Stopped below and not disposed: disposing a bridge disposes its ports, which the fixture's own bridge still stops.
        var bridge = pollingCore ? NewBridge(CpuAffinity.Allowed().Max()) : _bridge;
        bridge.Start();
        Assert.That(WaitUntil(() => Up0.Counters.Sent == 200 && Dev0.Counters.Sent == 200), Is.True);
        bridge.Stop();
        var total = new SigningCounters();
        lock (_counters)
        {
            _counters.ForEach(total.Add);
        }

        Assert.Multiple(() =>
        {
            Assert.That(Up0.Sent, Is.EqualTo(Enumerable.Range(0, 200).Select(ToCloud)));
            Assert.That(Dev0.Sent, Is.EqualTo(Enumerable.Range(0, 200).Select(ToHue)));
            Assert.That((total.Released, total.Dropped), Is.EqualTo((400L, 0L)));
            Assert.That(total.BatchRoots, Is.InRange(2, 400), "every tag under a root by the time the threads stopped");
            Assert.That(bridge.Failure, Is.Null);
        });
    }

    /// <summary>A bridge whose capture threads sign on signing threads (<paramref name="pollCpu"/>: on the polling core).</summary>
    private Bridge NewBridge(int? pollCpu) =>
        new(Engine, () => new ElementContext(Alerts), [Dev0], Up0, new ManagementFilter([Dev0.Mac, Up0.Mac], []))
        {
            CreateEgress = () => Egress(),
            PollCpu = pollCpu,
        };

    private static void Hold(ManualResetEventSlim busy, ManualResetEventSlim goOn)
    {
        busy.Set();
        goOn.Wait(Patience);
    }

    private SigningThreadEgress Egress(int capacity = SigningThreadEgress.DefaultCapacity)
    {
        var stage = new SigningStage(Shim, new SigningOptions { Mode = SigningMode.Epoch }, null, Alerts, new ChainMeasurements());
        lock (_counters)
        {
            _counters.Add(stage.Counters);
        }

        return new SigningThreadEgress(stage, capacity);
    }

    /// <summary>A frame from hue through the bridge's device-port path (its chain, then the egress), as a capture thread runs it.</summary>
    private void Send(SigningThreadEgress egress, int i)
    {
        var frame = new Frame { Ingress = "dev0" };
        frame.Load(ToCloud(i), 1_700_000_000_000_000 + i, Direction.FromDevice);
        _bridge.FromDevicePort(0, frame, _context, egress);
    }

    private static bool Throws(Action action)
    {
        try
        {
            action();
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
