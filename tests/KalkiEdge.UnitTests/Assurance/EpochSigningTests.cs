using KalkiEdge.Assurance.Measurement;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;
using KalkiEdge.UnitTests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KalkiEdge.UnitTests.Assurance;

/// <summary>
/// Epoch signing, with each per-frame MAC: a tag per frame under a key the hypervisor derives per device and chain
/// epoch, checked at egress without holding the frame, and batch roots signed by uhsign that a <see cref="TagVerifier"/>
/// checks later.
/// </summary>
[TestFixture(EpochMac.Gmac)]
[TestFixture(EpochMac.ChaCha20Poly1305)]
public sealed class EpochSigningTests(EpochMac mac) : SigningFixture
{
    private readonly ChainMeasurements _measurements = new();
    private BatchLog _log = null!;

    [SetUp]
    public void CreateLog() => _log = new BatchLog();

    private SigningStage Stage() => new(Shim, new SigningOptions { Mode = SigningMode.Epoch, Mac = mac }, Egress, Alerts, _measurements, _log);

    /// <summary>Packets 1 and 2 from the camera through a fresh stage; the one batch it sealed.</summary>
    private (byte[] Bytes, byte[] Root, int Tags) SignTwoFrames()
    {
        using var stage = Stage();
        Submit(stage, 1);
        Submit(stage, 2);
        stage.Flush();
        return _log.Batches.Single();
    }

    private byte[] Measurement(DeviceSlot device) => _measurements.For(device.Chain!.Definition);

    [Test]
    public void Every_frame_leaves_at_once_unchanged_with_one_key_per_epoch_and_one_root_per_full_batch()
    {
        using var stage = Stage();
        var frames = (2 * BatchLayout.MaxTags) + 4;
        for (int i = 0; i < frames; i++)
        {
            Submit(stage, i);
            Assert.That(stage.Pending, Is.Zero, "nothing is held");
        }

        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Has.Count.EqualTo(frames));
            Assert.That(Egress.Sent[150], Is.EqualTo(Packet(150)), "the tag never goes on the wire");
            Assert.That(stage.Counters.BatchRoots, Is.EqualTo(2));
            Assert.That(stage.Counters.SignCalls, Is.EqualTo(4), "one key derivation, the session's root key and two roots");
            Assert.That(stage.Counters.VerifyCalls, Is.Zero, "egress does not call the hypervisor");
        });
        stage.Flush();
        Assert.Multiple(() =>
        {
            Assert.That(stage.Counters.BatchRoots, Is.EqualTo(3), "the last 4 tags under a root of their own");
            Assert.That(_log.Batches.Select(b => b.Tags), Is.EqualTo(new[] { BatchLayout.MaxTags, BatchLayout.MaxTags, 4 }));
        });
    }

    [Test]
    public void An_idle_egress_seals_a_root_only_once_its_batch_is_old_enough_and_a_flush_at_once()
    {
        var time = new FakeTimeProvider();
        using var stage = new SigningStage(Shim, new SigningOptions { Mode = SigningMode.Epoch, Mac = mac }, Egress, Alerts, _measurements, _log, time);
        Submit(stage, 1);
        time.Advance(EpochSigner.RootInterval - TimeSpan.FromTicks(1));
        stage.Idle(); // the port ran dry a moment before the interval
        var dueWhileYoung = stage.RootDue;
        var rootsWhileYoung = stage.Counters.BatchRoots;
        time.Advance(TimeSpan.FromTicks(1));
        var due = stage.RootDue;
        stage.Idle();
        var rootsWhenDue = stage.Counters.BatchRoots;
        Submit(stage, 2);
        stage.Flush(); // end of a replay, a thread stopping: whatever its age

        Assert.Multiple(() =>
        {
            Assert.That((dueWhileYoung, rootsWhileYoung), Is.EqualTo((false, 0L)), "a young batch stays open: no uhsign call each time a busy port runs dry");
            Assert.That((due, rootsWhenDue), Is.EqualTo((true, 1L)), "sealed by the first idle moment at the interval");
            Assert.That(stage.Counters.BatchRoots, Is.EqualTo(2));
            Assert.That(_log.Batches.Select(b => b.Tags), Is.EqualTo(new[] { 1, 1 }));
            Assert.That(stage.RootDue, Is.False);
        });
    }

    [Test]
    public void The_root_is_the_hypervisors_hmac_of_the_header_the_count_and_the_mac_of_the_tags_under_the_sessions_root_key()
    {
        var batch = SignTwoFrames();
        BatchLayout.TryRead(batch.Bytes, out _, out var session, out var first, out _);
        var derivation = new byte[BatchRootKey.DerivationSize];
        BatchRootKey.Derivation(mac, session, derivation);
        var rootKey = new byte[HypervisorShim.DigestSize];
        Shim.Hmac(derivation, rootKey);
        var nonce = new byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(4), first);
        var input = new byte[BatchLayout.HeaderSize + 4 + BatchRootKey.DigestSize];
        batch.Bytes.AsSpan(0, BatchLayout.HeaderSize).CopyTo(input);
        input[BatchLayout.HeaderSize + 3] = 2;
        ReferenceMac(rootKey, nonce, batch.Bytes.AsSpan(BatchLayout.HeaderSize), input.AsSpan(BatchLayout.HeaderSize + 4));
        var dropped = batch.Bytes.AsSpan(0, batch.Bytes.Length - EpochKey.TagSize).ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(derivation.AsSpan(0, 8).SequenceEqual(EpochMacs.RootKeyDomain(mac)) && !EpochMacs.RootKeyDomain(mac).SequenceEqual(EpochMacs.KeyDomain(mac)), Is.True, "a root key is never an epoch key");
            Assert.That(Shim.VerifyHmac(input, batch.Root), Is.True);
            Assert.That(new TagVerifier(Shim).Check(dropped, batch.Root, 0, Camera.Mac, Measurement(Camera), 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.ForgedBatch), "the last tag cut off");
        });
    }

    [Test]
    public void Two_tags_swapped_under_their_root_are_refused_before_either_tag_is_checked()
    {
        var batch = SignTwoFrames();
        var swapped = batch.Bytes.ToArray();
        BatchLayout.Tag(batch.Bytes, 1).CopyTo(swapped.AsSpan(BatchLayout.HeaderSize));
        BatchLayout.Tag(batch.Bytes, 0).CopyTo(swapped.AsSpan(BatchLayout.HeaderSize + EpochKey.TagSize));
        var verifier = new TagVerifier(Shim);

        Assert.Multiple(() =>
        {
            Assert.That(verifier.Check(swapped, batch.Root, 0, Camera.Mac, Measurement(Camera), 1, Direction.FromDevice, Packet(2)), Is.EqualTo(TagCheck.ForgedBatch), "the root binds each tag's position");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 1, Camera.Mac, Measurement(Camera), 1, Direction.FromDevice, Packet(2)), Is.EqualTo(TagCheck.Valid), "the batch as sealed");
        });
    }

    [Test]
    public void A_swap_derives_a_new_key_and_frames_carry_the_new_epoch()
    {
        using var stage = Stage();
        Submit(stage, 1);
        Camera.Swap(Compile("firewall(default: allow)", image: "camera-attack").Instantiate());
        Submit(stage, 2);
        stage.Flush();
        var verifier = new TagVerifier(Shim);
        var batch = _log.Batches.Single();

        Assert.Multiple(() =>
        {
            Assert.That(stage.Counters.SignCalls, Is.EqualTo(4), "a key per epoch, the session's root key, one root");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 1, Camera.Mac, Measurement(Camera), 2, Direction.FromDevice, Packet(2)), Is.EqualTo(TagCheck.Valid));
        });
    }

    [Test]
    public void Every_tag_verifies_in_order_against_its_frame_device_chain_and_epoch()
    {
        using var stage = Stage();
        for (int i = 0; i < 120; i++)
        {
            Submit(stage, i);
        }

        stage.Flush();
        var verifier = new TagVerifier(Shim);
        int n = 0;
        foreach (var batch in _log.Batches)
        {
            for (int i = 0; i < batch.Tags; i++, n++)
            {
                Assert.That(verifier.Check(batch.Bytes, batch.Root, i, Camera.Mac, Measurement(Camera), 1, Direction.FromDevice, Packet(n)), Is.EqualTo(TagCheck.Valid), $"frame {n}");
            }
        }

        Assert.That(n, Is.EqualTo(120));
    }

    [Test]
    public void Forged_tags_are_refused()
    {
        var batch = SignTwoFrames();
        var verifier = new TagVerifier(Shim);
        var measurement = Measurement(Camera);
        var altered = Packet(1);
        altered[60] ^= 0xFF;
        var tamperedTag = batch.Bytes.ToArray();
        tamperedTag[BatchLayout.HeaderSize] ^= 0x01;
        var tamperedRoot = batch.Root.ToArray();
        tamperedRoot[0] ^= 0x01;

        Assert.Multiple(() =>
        {
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 0, Camera.Mac, measurement, 1, Direction.FromDevice, altered), Is.EqualTo(TagCheck.Forged), "other bytes");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 0, Camera.Mac, measurement, 1, Direction.ToDevice, Packet(1)), Is.EqualTo(TagCheck.Forged), "other direction");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 1, Camera.Mac, measurement, 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.Forged), "frame 1's bytes at frame 2's position");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 0, 0x020000000002, measurement, 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.Forged), "another device");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 0, Camera.Mac, new byte[32], 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.Forged), "another chain");
            Assert.That(verifier.Check(tamperedTag, batch.Root, 0, Camera.Mac, measurement, 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.ForgedBatch), "a tag changed under the root");
            Assert.That(verifier.Check(batch.Bytes, tamperedRoot, 0, Camera.Mac, measurement, 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.ForgedBatch), "a root the hypervisor did not make");
            Assert.That(verifier.Check(batch.Bytes.AsSpan(0, 10), batch.Root, 0, Camera.Mac, measurement, 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.ForgedBatch), "truncated");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 2, Camera.Mac, measurement, 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.NotInBatch));
        });
    }

    [Test]
    public void A_root_made_with_another_hypervisor_key_is_refused()
    {
        using var stage = Stage();
        Submit(stage, 1);
        stage.Flush();
        var batch = _log.Batches.Single();
        using var other = HypervisorShim.Open(new HypervisorShimOptions { Backend = HypervisorBackendRequest.Emulated, KeyPath = Path.Combine(Dir, "other", "hypervisor.key") });

        Assert.That(new TagVerifier(other).Check(batch.Bytes, batch.Root, 0, Camera.Mac, Measurement(Camera), 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.ForgedBatch));
    }

    [Test]
    public void A_tag_is_refused_when_any_one_bit_of_its_frame_changes()
    {
        var batch = SignTwoFrames();
        var verifier = new TagVerifier(Shim);
        var measurement = Measurement(Camera);
        var frame = Packet(1);
        var accepted = new List<int>();
        for (int bit = 0; bit < frame.Length * 8; bit++)
        {
            frame[bit / 8] ^= (byte)(1 << (bit % 8));
            if (verifier.Check(batch.Bytes, batch.Root, 0, Camera.Mac, measurement, 1, Direction.FromDevice, frame) != TagCheck.Forged)
            {
                accepted.Add(bit);
            }

            frame[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        Assert.Multiple(() =>
        {
            Assert.That(accepted, Is.Empty, $"bits of the {frame.Length}-byte frame whose flip still verified");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 0, Camera.Mac, measurement, 1, Direction.FromDevice, frame.AsSpan(0, frame.Length - 1)), Is.EqualTo(TagCheck.Forged), "one byte shorter");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 0, Camera.Mac, measurement, 1, Direction.FromDevice, [.. frame, 0]), Is.EqualTo(TagCheck.Forged), "a zero byte longer");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 0, Camera.Mac, measurement, 1, Direction.FromDevice, frame), Is.EqualTo(TagCheck.Valid), "the frame as sent");
        });
    }

    [Test]
    public void The_root_names_the_mac_and_a_root_claiming_the_other_mac_is_refused()
    {
        var batch = SignTwoFrames();
        var other = mac == EpochMac.Gmac ? EpochMac.ChaCha20Poly1305 : EpochMac.Gmac;
        var relabelled = batch.Bytes.ToArray();
        EpochMacs.RootDomain(other).CopyTo(relabelled);

        Assert.Multiple(() =>
        {
            Assert.That(batch.Bytes.AsSpan(0, 8).SequenceEqual(EpochMacs.RootDomain(mac)), Is.True);
            Assert.That(new TagVerifier(Shim).Check(relabelled, batch.Root, 0, Camera.Mac, Measurement(Camera), 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.ForgedBatch));
        });
    }

    [Test]
    public void A_tag_is_the_documented_mac_of_the_frame_under_the_key_the_hypervisor_derives()
    {
        var batch = SignTwoFrames();
        BatchLayout.TryRead(batch.Bytes, out _, out var session, out var first, out _);
        Span<byte> input = stackalloc byte[EpochKey.DerivationSize];
        EpochKey.Derivation(mac, session, Camera.Mac, Measurement(Camera), 1, input);
        var key = new byte[HypervisorShim.DigestSize];
        Shim.Hmac(input, key);
        var nonce = new byte[12];
        nonce[0] = (byte)Direction.FromDevice;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(4), first);
        var expected = new byte[EpochKey.TagSize];
        ReferenceMac(key, nonce, Packet(1), expected);

        Assert.That(BatchLayout.Tag(batch.Bytes, 0).ToArray(), Is.EqualTo(expected));
    }

    [TestCase(Direction.FromDevice, 0L)]
    [TestCase(Direction.ToDevice, 0x0102030405060708L)]
    [TestCase(Direction.ToDevice, long.MaxValue)]
    public void An_epoch_key_tags_under_the_nonce_direction_then_three_zeros_then_the_big_endian_sequence(Direction direction, long sequence)
    {
        var session = new byte[EpochKey.SessionSize];
        using var epochKey = new EpochKey(Shim, mac, session, Camera.Mac, Measurement(Camera), 1);
        Span<byte> input = stackalloc byte[EpochKey.DerivationSize];
        EpochKey.Derivation(mac, session, Camera.Mac, Measurement(Camera), 1, input);
        var key = new byte[HypervisorShim.DigestSize];
        Shim.Hmac(input, key);
        var nonce = new byte[12];
        nonce[0] = (byte)direction;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(4), sequence);
        var (expected, tag) = (new byte[EpochKey.TagSize], new byte[EpochKey.TagSize]);
        ReferenceMac(key, nonce, Packet(3), expected);

        epochKey.Tag(sequence, direction, Packet(3), tag);

        Assert.That(tag, Is.EqualTo(expected));
    }

    [Test]
    public void A_disposed_epoch_key_tags_with_none_of_its_key_material()
    {
        var epochKey = new EpochKey(Shim, mac, new byte[EpochKey.SessionSize], Camera.Mac, Measurement(Camera), 1);
        var (before, after) = (new byte[EpochKey.TagSize], new byte[EpochKey.TagSize]);
        epochKey.Tag(0, Direction.FromDevice, Packet(3), before);

        epochKey.Dispose();

        // The managed GMAC's round keys and powers of H, held in the key itself, are zeroed; OpenSSL's MACs refuse to run.
        if (EpochMacs.IsManaged(mac))
        {
            epochKey.Tag(0, Direction.FromDevice, Packet(3), after);
            Assert.That(after, Is.Not.EqualTo(before));
        }
        else
        {
            Assert.That(() => epochKey.Tag(0, Direction.FromDevice, Packet(3), after), Throws.InstanceOf<ObjectDisposedException>());
        }
    }

    // The MAC's tag of the message under the 32-byte key as OpenSSL computes it, not the signer (GMAC: the key's first 16 bytes).
    private void ReferenceMac(byte[] key, byte[] nonce, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        if (mac == EpochMac.Gmac)
        {
            using var gcm = new System.Security.Cryptography.AesGcm(key.AsSpan(0, 16), EpochKey.TagSize);
            gcm.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, message);
        }
        else
        {
            using var aead = new System.Security.Cryptography.ChaCha20Poly1305(key);
            aead.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, message);
        }
    }

    [Test]
    public void A_replayed_tag_is_refused()
    {
        var batch = SignTwoFrames();
        var verifier = new TagVerifier(Shim);
        var measurement = Measurement(Camera);

        Assert.Multiple(() =>
        {
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 0, Camera.Mac, measurement, 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.Valid));
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 1, Camera.Mac, measurement, 1, Direction.FromDevice, Packet(2)), Is.EqualTo(TagCheck.Valid));
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 0, Camera.Mac, measurement, 1, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.Replayed), "the same frame again");
            Assert.That(verifier.Check(batch.Bytes, batch.Root, 1, Camera.Mac, measurement, 1, Direction.FromDevice, Packet(2)), Is.EqualTo(TagCheck.Replayed));
        });
    }

    [Test]
    public void A_tag_from_another_epoch_is_refused()
    {
        using var stage = Stage();
        Submit(stage, 1); // epoch 1
        var chain = Camera.Chain!;
        Camera.Swap(chain.Definition.Instantiate()); // the same chain text, a new generation: epoch 2
        Submit(stage, 2);
        stage.Flush();
        var batch = _log.Batches.Single();
        var measurement = Measurement(Camera);

        Assert.Multiple(() =>
        {
            Assert.That(new TagVerifier(Shim).Check(batch.Bytes, batch.Root, 0, Camera.Mac, measurement, 2, Direction.FromDevice, Packet(1)), Is.EqualTo(TagCheck.Forged), "epoch 1's frame claimed for epoch 2");
            Assert.That(new TagVerifier(Shim).Check(batch.Bytes, batch.Root, 1, Camera.Mac, measurement, 1, Direction.FromDevice, Packet(2)), Is.EqualTo(TagCheck.Forged), "epoch 2's frame claimed for epoch 1");
            Assert.That(new TagVerifier(Shim).Check(batch.Bytes, batch.Root, 1, Camera.Mac, measurement, 2, Direction.FromDevice, Packet(2)), Is.EqualTo(TagCheck.Valid));
        });
    }

    [Test]
    public void Two_stages_never_share_keys_or_sessions()
    {
        using (var first = Stage())
        {
            Submit(first, 1);
            first.Flush();
        }

        using (var second = Stage())
        {
            Submit(second, 1);
            second.Flush();
        }

        var (a, b) = (_log.Batches[0], _log.Batches[1]);
        Assert.Multiple(() =>
        {
            Assert.That(a.Bytes.AsSpan(8, EpochKey.SessionSize).SequenceEqual(b.Bytes.AsSpan(8, EpochKey.SessionSize)), Is.False, "a fresh session per stage");
            Assert.That(a.Bytes.AsSpan(BatchLayout.HeaderSize).SequenceEqual(b.Bytes.AsSpan(BatchLayout.HeaderSize)), Is.False, "the same frame at the same position, another tag");
        });
    }

    [Test]
    public void Two_stages_tagging_one_device_at_once_each_use_their_own_key_and_release_its_slot_when_disposed()
    {
        object? held;
        using (var first = Stage())
        using (var second = Stage())
        {
            for (int i = 0; i < 4; i++)
            {
                Submit(first, i);
                Submit(second, i); // finds the slot taken by the first stage: keeps its key in its own table
            }

            held = Camera.SigningState;
            first.Flush();
            second.Flush();
        }

        var verifier = new TagVerifier(Shim);
        Assert.Multiple(() =>
        {
            Assert.That(held, Is.Not.Null, "the first stage keeps the camera's key in the camera's slot");
            Assert.That(Camera.SigningState, Is.Null, "disposed stages leave no key on the device");
            Assert.That(_log.Batches, Has.Count.EqualTo(2));
            foreach (var batch in _log.Batches)
            {
                for (int i = 0; i < batch.Tags; i++)
                {
                    Assert.That(verifier.Check(batch.Bytes, batch.Root, i, Camera.Mac, Measurement(Camera), 1, Direction.FromDevice, Packet(i)), Is.EqualTo(TagCheck.Valid), $"frame {i}");
                }
            }
        });
    }

    [Test]
    public void A_frame_whose_chain_generation_was_swapped_out_after_it_ran_is_dropped_stale_without_a_key_for_it()
    {
        using var stage = Stage();
        Submit(stage, 1); // the camera's key for epoch 1
        var ran = new ChainRun(Camera, Camera.Chain, Camera.Epoch); // what the engine recorded as the frame's chain ran
        Camera.Swap(Camera.Chain!.Definition.Instantiate()); // epoch 2 before the frame reaches the stage
        Submit(stage, 2); // epoch 2's key
        var signCalls = stage.Counters.SignCalls;
        var frame = new Frame();
        frame.Load(Packet(3), Now++, Direction.FromDevice);
        stage.Submit(frame, ran);
        var swappedAgain = new ChainRun(Camera, Camera.Chain, Camera.Epoch);
        Camera.Swap(Camera.Chain!.Definition.Instantiate()); // epoch 3: epoch 2's key is at hand, its frame is stale all the same
        stage.Submit(frame, swappedAgain);
        stage.Submit(frame, ChainRun.None);

        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Has.Count.EqualTo(2), "only the frames of the generation in force left");
            Assert.That(stage.Counters.Stale, Is.EqualTo(2), "tagged for the generation that ran, which is no longer in force");
            Assert.That(stage.Counters.MissingTag, Is.EqualTo(1), "no chain ran");
            Assert.That(stage.Counters.SignCalls, Is.EqualTo(signCalls), "no key is derived for a generation no longer in force");
        });
    }

    [Test]
    public void A_frame_without_a_device_chain_is_dropped_untagged()
    {
        using var stage = Stage();
        Submit(stage, 1, new DeviceSlot("new-device", 0x020000000099, []));
        stage.Flush();

        Assert.Multiple(() =>
        {
            Assert.That(Egress.Sent, Is.Empty);
            Assert.That(stage.Counters.MissingTag, Is.EqualTo(1));
            Assert.That(_log.Batches, Is.Empty, "nothing was tagged");
            Assert.That(Alerts.OfType(AlertTypes.SignatureFailure).Single().Info, Does.Contain("without a tag"));
        });
    }

    /// <summary>Copies of what each stage sealed.</summary>
    private sealed class BatchLog : IBatchRootLog
    {
        public List<(byte[] Bytes, byte[] Root, int Tags)> Batches { get; } = [];

        public void Sealed(ReadOnlySpan<byte> batch, ReadOnlySpan<byte> root) =>
            Batches.Add((batch.ToArray(), root.ToArray(), (batch.Length - BatchLayout.HeaderSize) / EpochKey.TagSize));
    }
}
