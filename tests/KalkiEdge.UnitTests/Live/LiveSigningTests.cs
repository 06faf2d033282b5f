using System.Diagnostics;
using KalkiEdge.Appliance.Live;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.UnitTests.Assurance;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Live;

/// <summary>Packet signing on the live bridge's path: <see cref="Bridge"/> capture threads with a <see cref="SignedEgress"/> per thread.</summary>
public sealed class LiveSigningTests : LiveSigningFixture
{
    private readonly List<SignedEgress> _egresses = [];

    [TearDown]
    public void ForgetEgresses() => _egresses.Clear();

    [TestCase(false)]
    [TestCase(true)]
    public void A_held_frame_is_released_as_soon_as_its_port_runs_dry_not_when_the_next_frame_comes(bool pollingCore)
    {
        // A hold far beyond the test's patience: only the idle release can let the frame out in time.
        using var bridge = Build(() => CreateEgress(60_000_000, SigningOptions.MaxBatch), pollingCore ? CpuAffinity.Allowed().Max() : null);
        bridge.Start();
        var clock = Stopwatch.StartNew();
        Dev0.Receive(ToCloud(1));
        Up0.Receive(ToHue(1));

        Assert.That(WaitUntil(() => Up0.Counters.Sent == 1 && Dev0.Counters.Sent == 1), Is.True, "both frames must cross without a following frame");
        var waited = clock.Elapsed;
        bridge.Stop();
        var c = Totals();
        Assert.Multiple(() =>
        {
            Assert.That(waited, Is.LessThan(TimeSpan.FromSeconds(2)), "bounded by the port running dry, not by hold");
            Assert.That(Up0.Sent.Single(), Is.EqualTo(ToCloud(1)), "the tag never reaches the wire");
            Assert.That((c.Released, c.SignCalls, c.VerifyCalls, c.Dropped), Is.EqualTo((2L, 2L, 2L, 0L)));
        });
    }

    [Test]
    public void A_queued_burst_is_signed_in_one_shim_call_per_thread_and_crosses_in_order()
    {
        using var bridge = Build(holdMicros: 60_000_000);
        for (int i = 0; i < 20; i++)
        {
            Dev0.Receive(ToCloud(i));
            Up0.Receive(ToHue(i));
        }

        bridge.Start(); // the whole burst is already queued: each thread batches it and releases when it runs dry
        Assert.That(WaitUntil(() => Up0.Counters.Sent == 20 && Dev0.Counters.Sent == 20), Is.True);
        bridge.Stop();
        var c = Totals();
        Assert.Multiple(() =>
        {
            Assert.That(Up0.Sent, Is.EqualTo(Enumerable.Range(0, 20).Select(ToCloud)));
            Assert.That(Dev0.Sent, Is.EqualTo(Enumerable.Range(0, 20).Select(ToHue)));
            Assert.That((c.Released, c.SignCalls, c.VerifyCalls, c.Dropped), Is.EqualTo((40L, 2L, 2L, 0L)));
        });
    }

    [Test]
    public void A_batch_that_fills_is_released_without_waiting_for_the_port_to_run_dry()
    {
        using var bridge = Build(holdMicros: 60_000_000, batch: 4);
        for (int i = 0; i < 10; i++)
        {
            Dev0.Receive(ToCloud(i));
        }

        bridge.Start();
        Assert.That(WaitUntil(() => Up0.Counters.Sent == 10), Is.True);
        bridge.Stop();
        Assert.That(Totals().SignCalls, Is.EqualTo(3), "4 + 4 full batches, then the last 2 when the port ran dry");
    }

    [Test]
    public void Replies_a_chain_builds_are_signed_for_the_device_and_leave_by_the_ingress_port()
    {
        HueSlot.Swap(EchoBack.Chain.Instantiate());
        using var bridge = Build(holdMicros: 2_000);
        bridge.Start();
        Dev0.Receive(ToCloud(1));
        Up0.Receive(ToHue(1));

        Assert.That(WaitUntil(() => Dev0.Counters.Sent == 1 && Up0.Counters.Sent == 1), Is.True);
        bridge.Stop();
        Assert.Multiple(() =>
        {
            Assert.That(Mac.Read(Dev0.Sent.Single().AsSpan(0, 6)), Is.EqualTo(M(Hue)), "the reply to hue goes back to hue");
            Assert.That(Mac.Read(Up0.Sent.Single().AsSpan(0, 6)), Is.EqualTo(M(Cloud)), "the reply to the cloud goes back up");
            Assert.That((Totals().Released, Totals().Dropped), Is.EqualTo((2L, 0L)));
        });
    }

    [Test]
    public void A_frame_from_a_chain_swapped_between_tag_and_egress_is_dropped_with_signature_failure()
    {
        using var bridge = Build(holdMicros: 2_000);
        using var egress = CreateEgress(2_000, SigningOptions.MaxBatch);
        var context = new ElementContext(Alerts);
        var frame = new Frame();

        frame.Load(ToCloud(1), 1_700_000_000_000_000, Direction.FromDevice);
        bridge.FromDevicePort(0, frame, context, egress); // tagged by the chain in force, held in the batch
        Assert.That(egress.Holding, Is.True);
        HueSlot.Swap(Compile("firewall(default: allow)").Instantiate()); // the control plane moves hue on: new epoch
        egress.Release(); // the port ran dry: verify at egress

        frame.Load(ToCloud(2), 1_700_000_000_000_100, Direction.FromDevice);
        bridge.FromDevicePort(0, frame, context, egress); // the new chain's frames pass
        egress.Release();

        var failure = Alerts.Alerts.SingleOrDefault(a => a.Type == AlertTypes.SignatureFailure);
        Assert.Multiple(() =>
        {
            Assert.That(Up0.Sent, Is.EqualTo(new[] { ToCloud(2) }), "only the frame of the chain in force is injected");
            Assert.That((egress.Counters.Stale, egress.Counters.Released), Is.EqualTo((1L, 1L)));
            Assert.That(failure, Is.Not.Null, "signature-failure alert");
            Assert.That(failure?.Device, Is.EqualTo("hue"));
            Assert.That(failure?.Info, Does.Contain("epoch"));
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public void An_epoch_batch_root_is_sealed_once_due_on_a_link_that_falls_silent_not_at_the_next_frame_or_the_stop(bool pollingCore)
    {
        using var bridge = Build(() => Track(new SignedEgress(new SigningStage(Shim, new SigningOptions { Mode = SigningMode.Epoch }, null, Alerts, new ChainMeasurements()))), pollingCore ? CpuAffinity.Allowed().Max() : null);
        bridge.Start();
        Dev0.Receive(ToCloud(1));
        Up0.Receive(ToHue(1));

        // Both frames leave at once; then nothing more comes: each thread's root is due 10 ms after its tag.
        Assert.That(WaitUntil(() => Up0.Counters.Sent == 1 && Dev0.Counters.Sent == 1), Is.True);
        bool sealedWhileSilent = WaitUntil(() => Totals().BatchRoots == 2);
        long rootsWhileSilent = Totals().BatchRoots;
        bridge.Stop(); // seals whatever is still open
        Assert.That(sealedWhileSilent, Is.True, $"{rootsWhileSilent} of 2 roots sealed while the link was silent");
    }

    [Test]
    public void Signing_on_the_bridge_path_allocates_nothing_per_frame()
    {
        using var up0 = new FakePort("up0", 0x024b45000002, record: false);
        using var bridge = new Bridge(Engine, () => new ElementContext(Alerts), [Dev0], up0, new ManagementFilter([], []));
        using var egress = CreateEgress(2_000, SigningOptions.MaxBatch);
        var context = new ElementContext(Alerts);
        var frame = new Frame();
        var bytes = ToCloud(0);
        Pump(100);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Pump(5_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.LessThan(1024), $"{allocated} bytes for 5,000 signed frames");
        Assert.That((up0.Counters.Sent, egress.Counters.Dropped), Is.EqualTo((5_100L, 0L)));

        void Pump(int n)
        {
            for (int i = 0; i < n; i++)
            {
                frame.Load(bytes, 1_700_000_000_000_000 + i, Direction.FromDevice);
                bridge.FromDevicePort(0, frame, context, egress);
                if (i % 7 == 6)
                {
                    egress.Release(); // the port running dry now and then, as on a live link
                }
            }

            egress.Release();
        }
    }

    private Bridge Build(long holdMicros, int batch = SigningOptions.MaxBatch) => Build(() => CreateEgress(holdMicros, batch));

    private Bridge Build(Func<SignedEgress> createEgress, int? pollCpu = null) =>
        new(Engine, () => new ElementContext(Alerts), [Dev0], Up0, new ManagementFilter([Dev0.Mac, Up0.Mac], []))
        {
            CreateEgress = createEgress,
            PollCpu = pollCpu,
        };

    private SignedEgress CreateEgress(long holdMicros, int batch)
    {
        var options = new SigningOptions { Mode = SigningMode.Batched, BatchSize = batch, MaxHoldMicros = holdMicros };
        return Track(new SignedEgress(new SigningStage(Shim, options, null, Alerts, new ChainMeasurements())));
    }

    /// <summary>Keeps <paramref name="egress"/> for <see cref="Totals"/>.</summary>
    private SignedEgress Track(SignedEgress egress)
    {
        lock (_egresses)
        {
            _egresses.Add(egress);
        }

        return egress;
    }

    private SigningCounters Totals()
    {
        var total = new SigningCounters();
        lock (_egresses)
        {
            foreach (var e in _egresses)
            {
                total.Add(e.Counters);
            }
        }

        return total;
    }
}
