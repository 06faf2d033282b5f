using KalkiEdge.Assurance.Measurement;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Assurance;

public sealed class SigningStageTests : SigningFixture
{
    private SigningStage Stage(SigningMode mode, int batch = SigningOptions.MaxBatch, long holdMicros = 2_000) =>
        new(mode == SigningMode.Off ? null : Shim, new SigningOptions { Mode = mode, BatchSize = batch, MaxHoldMicros = holdMicros }, Egress, Alerts, new ChainMeasurements());

    [Test]
    public void Per_frame_signs_and_releases_every_frame_unchanged()
    {
        using var stage = Stage(SigningMode.PerFrame);
        for (int i = 0; i < 5; i++)
        {
            Submit(stage, i);
        }

        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Has.Count.EqualTo(5));
            Assert.That(Egress.Sent[3], Is.EqualTo(Packet(3)), "the tag never goes on the wire");
            Assert.That(stage.Counters.SignCalls, Is.EqualTo(5));
            Assert.That(stage.Counters.VerifyCalls, Is.EqualTo(5));
            Assert.That(stage.Counters.Dropped, Is.Zero);
            Assert.That(Alerts.Alerts, Is.Empty);
        });
    }

    [Test]
    public void Batched_signs_fifty_frames_per_shim_call_and_flushes_the_rest()
    {
        using var stage = Stage(SigningMode.Batched);
        for (int i = 0; i < 120; i++)
        {
            Submit(stage, i);
        }

        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Has.Count.EqualTo(100));
            Assert.That(stage.Pending, Is.EqualTo(20));
            Assert.That(stage.Counters.SignCalls, Is.EqualTo(2));
        });
        stage.Flush();
        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Has.Count.EqualTo(120));
            Assert.That(Egress.Sent[119], Is.EqualTo(Packet(119)));
            Assert.That(stage.Counters.SignCalls, Is.EqualTo(3));
            Assert.That(stage.Counters.Released, Is.EqualTo(120));
        });
    }

    [Test]
    public void Batch_is_flushed_when_its_oldest_frame_waited_too_long_in_capture_time()
    {
        using var stage = Stage(SigningMode.Batched, holdMicros: 1_000);
        Submit(stage, 1);
        Now += 5_000;
        Submit(stage, 2);
        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Has.Count.EqualTo(1));
            Assert.That(stage.Pending, Is.EqualTo(1));
        });
    }

    [Test]
    public void Signing_off_releases_unsigned_frames()
    {
        using var stage = Stage(SigningMode.Off);
        Submit(stage, 1);
        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Has.Count.EqualTo(1));
            Assert.That(stage.Counters.Unsigned, Is.EqualTo(1));
            Assert.That(stage.Counters.SignCalls, Is.Zero);
        });
    }

    [TestCase(SigningMode.Batched)]
    [TestCase(SigningMode.PerFrame)]
    public void Frame_without_a_device_chain_has_no_tag_and_is_dropped(SigningMode mode)
    {
        using var stage = Stage(mode);
        var chainless = new DeviceSlot("new-device", 0x020000000099, []);
        Submit(stage, 1, chainless);
        stage.Flush();
        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Is.Empty);
            Assert.That(stage.Counters.MissingTag, Is.EqualTo(1));
            Assert.That(Alerts.OfType(AlertTypes.SignatureFailure).Single().Info, Does.Contain("without a tag"));
        });
    }

    [Test]
    public void Frames_from_a_stale_chain_are_dropped_with_signature_failure()
    {
        using var stage = Stage(SigningMode.Batched);
        Submit(stage, 1);
        Submit(stage, 2);
        Camera.Swap(Compile("block-all", image: "camera-attack").Instantiate()); // the device moved on
        Submit(stage, 3);
        stage.Flush();

        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Is.EqualTo(new[] { Packet(3) }));
            Assert.That(stage.Counters.Stale, Is.EqualTo(2));
            var alert = Alerts.OfType(AlertTypes.SignatureFailure).First();
            Assert.That(alert.Device, Is.EqualTo("camera"));
            Assert.That(alert.Source, Is.EqualTo(AlertSource.Platform));
            Assert.That(alert.Info, Does.Contain("epoch 1").And.Contain("epoch 2"));
        });
    }

    [Test]
    public void Frame_altered_after_tagging_is_dropped()
    {
        using var stage = Stage(SigningMode.Batched);
        Submit(stage, 1);
        Submit(stage, 2);
        stage.PendingFrameAt(0).Buffer[60] ^= 0xFF; // a byte of the first frame changes between chain and egress
        stage.Flush();
        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Is.EqualTo(new[] { Packet(2) }));
            Assert.That(stage.Counters.Invalid, Is.EqualTo(1));
        });
    }

    [Test]
    public void Forged_carried_digest_breaks_the_batch_mac_and_drops_the_whole_batch()
    {
        using var stage = Stage(SigningMode.Batched);
        Submit(stage, 1);
        Submit(stage, 2);

        // After the batch is signed, whoever forges frame 1's digest (to match an altered frame) cannot recompute
        // the batch MAC without the key.
        stage.Seal();
        stage.CarriedDigest(0)[0] ^= 0x01;
        var altered = stage.PendingFrameAt(0);
        altered.Buffer[60] ^= 0xFF;
        stage.Flush();

        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Is.Empty);
            Assert.That(stage.Counters.Invalid, Is.EqualTo(2));
        });
    }

    [Test]
    public void Frame_tagged_for_one_device_does_not_verify_for_another()
    {
        using var stage = Stage(SigningMode.PerFrame);
        var other = new DeviceSlot("hue", 0x020000000002, []);
        other.Swap(Compile("firewall(default: allow)").Instantiate());
        Submit(stage, 1, other);
        Assert.That(Egress.Sent, Has.Count.EqualTo(1), "tagged and verified against the same device");

        using var batched = Stage(SigningMode.Batched);
        Submit(batched, 2, other);
        batched.ReattributeForTest(0, Camera); // still pending: egress now believes it is the camera's frame
        batched.Flush();
        Assert.That(batched.Counters.Invalid, Is.EqualTo(1));
    }

    [Test]
    public void Flood_of_bad_frames_raises_aggregatedAlerts()
    {
        using var stage = Stage(SigningMode.Batched);
        for (int i = 0; i < 50; i++)
        {
            Submit(stage, i, new DeviceSlot("ghost", 0x020000000077, []));
        }

        Assert.Multiple(() =>
        {
            Assert.That(stage.Counters.MissingTag, Is.EqualTo(50));
            Assert.That(Alerts.Alerts, Has.Count.EqualTo(1), "one alert per device per second; the rest fold into the next one's count");
        });
    }

    [TestCase(SigningMode.Batched)]
    [TestCase(SigningMode.Epoch)]
    public void Steady_state_signing_allocates_nothing_per_frame(SigningMode mode)
    {
        var counting = new CountingSink();
        var allocated = AllocatedBySteadyState(mode, counting);
        Assert.Multiple(() =>
        {
            Assert.That(allocated, Is.LessThan(1_000), $"{allocated} bytes for 5,000 frames");
            Assert.That(counting.Frames, Is.EqualTo(5_200));
        });
    }
}
