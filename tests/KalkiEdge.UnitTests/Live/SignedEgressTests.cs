using KalkiEdge.Appliance.Live;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Assurance;
using Microsoft.Extensions.Time.Testing;

namespace KalkiEdge.UnitTests.Live;

/// <summary>Epoch signing on the capture thread (<see cref="SignedEgress"/>): what the port running dry and the thread stopping seal.</summary>
public sealed class SignedEgressTests : SigningFixture
{
    private readonly Frame _frame = new();
    private readonly FakeTimeProvider _time = new();

    [Test]
    public void A_port_running_dry_after_every_frame_seals_no_root_before_it_is_due_and_stopping_seals_the_rest()
    {
        var egress = new SignedEgress(new SigningStage(Shim, new SigningOptions { Mode = SigningMode.Epoch }, null, Alerts, new ChainMeasurements(), null, _time));
        SigningCounters counters = egress.Counters;
        long rootsWhileYoung, rootsWhenDue;
        try
        {
            for (int i = 0; i < 100; i++)
            {
                SendThenRunDry(egress, i);
            }

            rootsWhileYoung = counters.BatchRoots;
            _time.Advance(EpochSigner.RootInterval);
            SendThenRunDry(egress, 100);
            rootsWhenDue = counters.BatchRoots;
            SendThenRunDry(egress, 101);
        }
        finally
        {
            egress.Dispose();
        }

        Assert.Multiple(() =>
        {
            Assert.That(rootsWhileYoung, Is.Zero, "no uhsign call each time a busy port runs dry");
            Assert.That(rootsWhenDue, Is.EqualTo(1), "sealed at the first dry moment once the batch is old enough");
            Assert.That(counters.BatchRoots, Is.EqualTo(2), "the thread stopping seals the open batch whatever its age");
            Assert.That((counters.Released, Egress.Sent.Count), Is.EqualTo((102L, 102)), "every frame left at once, none waited for a root");
        });
    }

    [Test]
    public void The_capture_thread_is_told_when_the_open_root_comes_due_and_nothing_once_it_is_sealed()
    {
        using var egress = new SignedEgress(new SigningStage(Shim, new SigningOptions { Mode = SigningMode.Epoch }, null, Alerts, new ChainMeasurements(), null, _time));
        var beforeAnyFrame = egress.ReleaseDueIn;
        Send(egress, 1);
        var afterTag = egress.ReleaseDueIn;
        _time.Advance(TimeSpan.FromMilliseconds(4));
        var later = egress.ReleaseDueIn;
        _time.Advance(EpochSigner.RootInterval);
        var overdue = egress.ReleaseDueIn;
        egress.Release();

        Assert.Multiple(() =>
        {
            Assert.That(beforeAnyFrame, Is.Null, "no batch open: the thread may sleep until traffic");
            Assert.That(afterTag, Is.EqualTo(EpochSigner.RootInterval));
            Assert.That(later, Is.EqualTo(EpochSigner.RootInterval - TimeSpan.FromMilliseconds(4)));
            Assert.That(overdue, Is.EqualTo(TimeSpan.Zero));
            Assert.That((egress.Counters.BatchRoots, egress.ReleaseDueIn), Is.EqualTo((1L, (TimeSpan?)null)), "released: sealed, nothing pending");
        });
    }

    [Test]
    public void A_held_batch_is_still_verified_and_sent_the_moment_its_port_runs_dry()
    {
        using var egress = new SignedEgress(new SigningStage(Shim, new SigningOptions { Mode = SigningMode.Batched, MaxHoldMicros = 60_000_000 }, null, Alerts, new ChainMeasurements()));
        Send(egress, 1);
        Send(egress, 2);
        var heldBefore = (egress.Holding, Egress.Sent.Count);
        egress.Release();

        Assert.Multiple(() =>
        {
            Assert.That(heldBefore, Is.EqualTo((true, 0)));
            Assert.That((egress.Holding, Egress.Sent.Count, egress.Counters.VerifyCalls), Is.EqualTo((false, 2, 1L)));
        });
    }

    private void SendThenRunDry(SignedEgress egress, int i)
    {
        Send(egress, i);
        egress.Release();
    }

    private void Send(SignedEgress egress, int i)
    {
        _frame.Load(Packet(i), Now++, Direction.FromDevice);
        egress.Submit(_frame, ChainRun.InForce(Camera), Egress);
    }
}
