using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.DataPlane.Sharding;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.DataPlane;

/// <summary>
/// The engine on several threads that each walk the capture themselves: every frame merged once in read order with the
/// single thread's verdict, counts and alerts (address learning raced by devices, unknown MACs and ARPs from the network
/// that claim a device's address, all decided in frame order), a walk that disagrees with the merging one refused, a
/// cancelled run merging what was processed, and the attribution from a frame's bytes agreeing with the engine's.
/// </summary>
public sealed class WalkingShardedEngineTests
{
    [TestCase(2)]
    [TestCase(3)]
    public void Every_frame_is_merged_once_in_read_order_with_the_single_threads_verdict_counts_and_alerts(int threads)
    {
        var frames = Capture(6_000);
        var (single, singleAlerts, singleDevices) = Engine(24);
        var context = new ElementContext(singleAlerts);
        var expected = new List<(long Number, Verdict Verdict, string? Malformation)>();
        var frame = new Frame();
        for (int i = 0; i < frames.Count; i++)
        {
            frame.Load(frames[i], i, Direction.FromDevice);
            frame.Number = i + 1;
            frame.Direction = single.InferDirection(frame);
            var verdict = single.Process(frame, context);
            expected.Add((frame.Number, verdict, frame.Malformation));
        }

        var (engine, alerts, devices) = Engine(24);
        var merged = new List<(long Number, Verdict Verdict, string? Malformation)>();
        using var walking = new WalkingShardedEngine(engine, threads, () => new ElementContext(alerts));
        var stopped = walking.Run(() => new ListWalk(frames), (f, verdict, reply, malformation) =>
        {
            Assert.That(reply, verdict == Verdict.Reply ? Is.Not.Null : Is.Null);
            merged.Add((f.Number, verdict, malformation));
        });

        Assert.That(stopped, Is.Null);
        Assert.Throws<InvalidOperationException>(() => walking.Run(() => new ListWalk(frames), (_, _, _, _) => { }), "one run per engine");
        Assert.That(merged, Is.EqualTo(expected), "each frame once, in read order, with the single thread's verdict");
        Assert.That(alerts.Alerts.Select(Describe), Is.EqualTo(singleAlerts.Alerts.Select(Describe)), "the same alerts in the same order");
        Assert.That(singleAlerts.Alerts.Select(a => a.Type).Distinct(), Is.SupersetOf(new[] { AlertTypes.IpSpoof, AlertTypes.UnknownDevice, AlertTypes.ArpSpoof }), "every kind of turn was taken");
        Assert.That(Counts(engine.Counters), Is.EqualTo(Counts(single.Counters)));
        for (int d = 0; d < devices.Count; d++)
        {
            Assert.That(devices[d].Counters.Forwarded, Is.EqualTo(singleDevices[d].Counters.Forwarded), devices[d].Name);
            Assert.That(devices[d].Ips.ToArray(), Is.EquivalentTo(singleDevices[d].Ips.ToArray()), $"{devices[d].Name} learned what it learned alone");
        }
    }

    [Test]
    public void A_walk_that_ends_before_the_merging_one_fails_the_run_instead_of_merging_a_guess()
    {
        var frames = Capture(2_000);
        var (engine, alerts, _) = Engine(8);
        using var walking = new WalkingShardedEngine(engine, 2, () => new ElementContext(alerts));
        var e = Assert.Throws<FrameSourceException>(() => walking.Run(
            () => Thread.CurrentThread.Name == "engine-1" ? new ListWalk(frames.Take(500).ToList()) : new ListWalk(frames),
            (_, _, _, _) => { }));
        Assert.That(e!.Message, Does.Contain("the capture changed while it was replayed"));
    }

    [Test]
    public void A_cancelled_run_merges_every_frame_an_engine_thread_processed_and_no_other()
    {
        var frames = Capture(200_000, misbehave: false);
        var (engine, alerts, _) = Engine(16);
        using var cancel = new CancellationTokenSource();
        long merged = 0;
        using var walking = new WalkingShardedEngine(engine, 2, () => new ElementContext(alerts));
        walking.Run(() => new ListWalk(frames), (_, _, _, _) =>
        {
            if (++merged == 1_000)
            {
                cancel.Cancel();
            }
        }, cancel.Token);
        Assert.That(merged, Is.InRange(1_000, 1_000 + WalkingShardedEngine.Window), "stopped within a window of the cancellation");
        Assert.That(engine.Counters.Frames, Is.EqualTo(merged), "nothing processed and left unmerged");
    }

    [Test]
    public void A_failing_merge_ends_the_run_with_its_exception()
    {
        var frames = Capture(20_000, misbehave: false);
        var (engine, alerts, _) = Engine(8);
        using var walking = new WalkingShardedEngine(engine, 2, () => new ElementContext(alerts));
        var e = Assert.Throws<InvalidOperationException>(() => walking.Run(() => new ListWalk(frames), (f, _, _, _) =>
        {
            if (f.Number == 100)
            {
                throw new InvalidOperationException("sink failed");
            }
        }));
        Assert.That(e!.Message, Is.EqualTo("sink failed"));
    }

    [Test]
    public void The_attribution_from_a_frames_bytes_is_the_engines()
    {
        var (engine, _, devices) = Engine(8);
        var attribution = FrameAttribution.Of(engine);
        var device = Mac.Format(devices[3].Mac);
        byte[][] cases =
        [
            Frames.Udp("192.0.2.4", 5000, "203.0.113.9", 53, "q", srcMac: device, dstMac: Frames.GatewayMac),
            Frames.Udp("203.0.113.9", 53, "192.0.2.4", 5000, "a", srcMac: Frames.GatewayMac, dstMac: device),
            Frames.Udp("203.0.113.9", 53, "192.0.2.4", 5000, "a", srcMac: device, dstMac: Mac.Format(devices[5].Mac)),
            Frames.ArpReply(Frames.GatewayMac, "192.0.2.254", "ff:ff:ff:ff:ff:ff", "192.0.2.4"),
            Frames.Udp("198.51.100.1", 5000, "203.0.113.9", 53, "q", srcMac: "02:99:00:00:00:01", dstMac: Frames.GatewayMac),
            new byte[10],
        ];
        var frame = new Frame();
        foreach (var bytes in cases)
        {
            frame.Load(bytes, 0, Direction.FromDevice);
            frame.Direction = engine.InferDirection(frame);
            var key = attribution.OwnerKey(bytes, out var direction);
            Assert.That((key, direction), Is.EqualTo((engine.OwnerKey(frame), frame.Direction)), Convert.ToHexString(bytes.AsSpan(0, Math.Min(12, bytes.Length))));
        }
    }

    [Test]
    public void Each_devices_shard_is_worked_out_once_when_the_table_is_built_and_other_keys_per_frame()
    {
        var (engine, _, devices) = Engine(8);
        int calls = 0;
        var attribution = FrameAttribution.Of(engine, key =>
        {
            calls++;
            return (int)(key % 3);
        });
        Assert.That(calls, Is.EqualTo(devices.Count), "once per device, while the table is built");
        for (int round = 0; round < 3; round++)
        {
            foreach (var device in devices)
            {
                Assert.That(attribution.ShardOf(device.Mac), Is.EqualTo((int)(device.Mac % 3)), device.Name);
            }
        }

        Assert.That(calls, Is.EqualTo(devices.Count), "a device's frames read the shard kept in its slot");
        Assert.That(attribution.ShardOf(0x02_99_00_00_00_05), Is.EqualTo(0x02_99_00_00_00_05 % 3), "an unregistered MAC");
        Assert.That(attribution.ShardOf(0), Is.EqualTo(0), "the network chain's key");
        Assert.That(calls, Is.EqualTo(devices.Count + 2), "keys of no device are assigned when they come");
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameAttribution.Of(engine, _ => 1 << 15), "a shard beyond the slot's bits");
    }

    [Test]
    public void The_engine_wide_counters_are_tallied_per_thread_and_added_when_the_run_ends()
    {
        var frames = Capture(3_000, misbehave: false);
        var (engine, alerts, _) = Engine(24);
        var seen = new List<long>();
        using var walking = new WalkingShardedEngine(engine, 2, () => new ElementContext(alerts));
        walking.Run(() => new ListWalk(frames), (_, _, _, _) => seen.Add(Interlocked.Read(ref engine.Counters.Frames)));
        Assert.That(seen.Distinct(), Is.EqualTo(new[] { 0L }), "no thread, the merging one included, counts on the engine's shared counters per frame");
        Assert.That(engine.Counters.Frames, Is.EqualTo(frames.Count));
        Assert.That(engine.Counters.Forwarded, Is.EqualTo(frames.Count), "every thread's tally added");
    }

    [Test]
    public void An_engine_thread_ahead_of_a_slow_merge_is_woken_once_per_wake_step_not_once_per_batch()
    {
        var frames = Capture(200_000, misbehave: false);
        var (engine, alerts, _) = Engine(24); // every frame's device registered: no frame from an unknown MAC takes a turn
        using var walking = new WalkingShardedEngine(engine, 2, () => new ElementContext(alerts));
        walking.Run(() => new ListWalk(frames), (_, _, _, _) => Thread.SpinWait(200)); // the merge is the slow side
        int steps = frames.Count / WalkingShardedEngine.WakeStep;
        Assert.That(walking.EngineThreadWakes, Is.LessThanOrEqualTo((2 * steps) + 4), $"{frames.Count / WalkingShardedEngine.Batch} batches");
        Assert.That(engine.Counters.Frames, Is.EqualTo(frames.Count));
    }

    [Test]
    public void Shard_zero_takes_the_share_it_is_given_and_the_others_split_the_rest()
    {
        var macs = Enumerable.Range(0, 10_000).Select(i => 0x02_00_5E_00_00_00UL + (ulong)i).ToList();
        var counts = new int[3];
        foreach (var mac in macs)
        {
            var shard = ShardAssignment.Of(mac, 3, 0.2);
            Assert.That(ShardAssignment.Of(mac, 3, 0.2), Is.EqualTo(shard), "stable");
            counts[shard]++;
        }

        Assert.That(counts[0], Is.InRange(1_800, 2_200), string.Join(", ", counts));
        Assert.That(counts[1], Is.InRange(3_600, 4_400), string.Join(", ", counts));
        Assert.That(counts[2], Is.InRange(3_600, 4_400), string.Join(", ", counts));
        Assert.That(macs.All(m => ShardAssignment.Of(m, 1, 0.2) == 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardAssignment.Of(1, 2, 1.5));
    }

    /// <summary>A capture in memory, walked from its first frame.</summary>
    private sealed class ListWalk(IReadOnlyList<byte[]> frames) : IFrameWalk
    {
        private int _next;

        public bool TryNext(out ReadOnlySpan<byte> data, out long timestampMicros)
        {
            if (_next == frames.Count)
            {
                data = default;
                timestampMicros = 0;
                return false;
            }

            timestampMicros = _next;
            data = frames[_next++];
            return true;
        }

        public void Dispose()
        {
        }
    }

    private static string Describe(Alert a) => $"{a.Type} {a.Device} {a.TimeMicros} {a.Info}";

    private static long[] Counts(EngineCounters c) => [c.Frames, c.Forwarded, c.Dropped, c.Replied, c.Malformed, c.UnknownDevice, c.NoSuchDevice, c.Spoofed];

    /// <summary>
    /// Devices' frames both ways; with <paramref name="misbehave"/>, also sources from addresses the devices race to
    /// learn, frames from unregistered MACs, runts, and ARPs from the network claiming a device's address (run alone).
    /// </summary>
    private static List<byte[]> Capture(int count, bool misbehave = true)
    {
        var rng = new Random(7);
        var frames = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            var d = rng.Next(24);
            var mac = Mac.Format(DeviceMac(d));
            var ip = $"192.0.2.{d + 1}";
            frames.Add((misbehave ? rng.Next(40) : 99) switch
            {
                0 => Frames.Udp($"198.51.100.{rng.Next(8)}", 5000, "203.0.113.9", 53, "q", srcMac: mac, dstMac: Frames.GatewayMac),
                1 => Frames.Udp("198.51.100.200", 5000, "203.0.113.9", 53, "q", srcMac: $"02:99:00:00:00:{rng.Next(4):x2}", dstMac: Frames.GatewayMac),
                2 => Frames.ArpReply(Frames.GatewayMac, $"192.0.2.{rng.Next(30) + 1}", mac, ip),
                3 => new byte[rng.Next(1, 14)],
                _ when i % 2 == 0 => Frames.Udp(ip, 5000, "203.0.113.9", 53, "q", srcMac: mac, dstMac: Frames.GatewayMac),
                _ => Frames.Udp("203.0.113.9", 53, ip, 5000, "a", srcMac: Frames.GatewayMac, dstMac: mac),
            });
        }

        return frames;
    }

    private static ulong DeviceMac(int i) => 0x02_00_00_00_10_00UL + (ulong)i;

    private static (PacketEngine Engine, RecordingAlertSink Alerts, List<DeviceSlot> Devices) Engine(int count)
    {
        var alerts = new RecordingAlertSink();
        var engine = new PacketEngine(alerts);
        var devices = new List<DeviceSlot>();
        for (int i = 0; i < count; i++)
        {
            var slot = new DeviceSlot($"dev{i}", DeviceMac(i), [Ip.FromV4(0xC0_00_02_00u + (uint)i + 1)]);
            slot.Swap(new ChainHarness("pass -> pass").Chain);
            engine.Devices.Add(slot);
            devices.Add(slot);
        }

        return (engine, alerts, devices);
    }
}
