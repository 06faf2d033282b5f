using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Sharding;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.DataPlane;

/// <summary>
/// The engine on several threads: devices assigned to shards by their MAC, every frame merged once in read order,
/// none lost when the rings are small (backpressure), a device's frames counted on its own shard, chain swaps during the
/// run still giving each frame one whole chain, and a failure ending the run instead of hanging it.
/// </summary>
public sealed class ShardedEngineTests
{
    [Test]
    public void A_device_lands_on_the_same_shard_every_time_and_a_thousand_devices_spread_over_every_shard()
    {
        var macs = Enumerable.Range(0, 1000).Select(i => 0x02_00_5E_00_00_00UL + (ulong)i).ToList();
        foreach (var shards in new[] { 1, 2, 3, 4 })
        {
            var counts = new int[shards];
            foreach (var mac in macs)
            {
                var shard = ShardAssignment.Of(mac, shards);
                Assert.That(shard, Is.InRange(0, shards - 1));
                Assert.That(ShardAssignment.Of(mac, shards), Is.EqualTo(shard), "stable");
                counts[shard]++;
            }

            Assert.That(counts.Min(), Is.GreaterThan(1000 / shards * 8 / 10), $"{shards} shards: {string.Join(", ", counts)}");
        }

        // Fixed across runs and builds (no per-process seed; values of MurmurHash3's finaliser, computed independently).
        ulong[] fixedMacs = [0x02_00_00_00_00_01, 0x02_00_00_00_00_02, 0xB8_27_EB_12_34_56, 0x02_00_00_00_00_03, 0x02_00_00_00_00_04];
        Assert.That(fixedMacs.Select(m => ShardAssignment.Of(m, 4)), Is.EqualTo(new[] { 3, 0, 1, 0, 3 }));
        Assert.That(fixedMacs.Select(m => ShardAssignment.Of(m, 2)), Is.EqualTo(new[] { 1, 0, 0, 0, 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardAssignment.Of(1, 0));
    }

    [TestCase(2, 4)]
    [TestCase(3, 1)]
    [TestCase(4, 1024)]
    public void Every_frame_is_merged_once_in_read_order_and_each_device_counts_exactly_its_own(int threads, int ring)
    {
        var (engine, devices) = Engine(64, "pass -> pass");
        const int Frames = 20_000;
        var sent = new int[devices.Count];
        var merged = new List<long>(Frames);
        var numbers = new List<long>(Frames);
        int next = 0;
        using var shards = new ShardedEngine(engine, threads, () => new ElementContext(new RecordingAlertSink()), ring);
        shards.Run(
            frame =>
            {
                if (next == Frames)
                {
                    return false;
                }

                var d = (next * 7) % devices.Count;
                sent[d]++;
                frame.Load(Udp(devices[d]), next, Direction.FromDevice);
                frame.Number = next++;
                return true;
            },
            slot =>
            {
                merged.Add(slot.Sequence);
                numbers.Add(slot.Frame.Number);
                Assert.That(slot.Verdict, Is.EqualTo(Verdict.Forward));
            });

        Assert.That(merged, Is.EqualTo(Enumerable.Range(0, Frames).Select(i => (long)i)), "each frame once, in read order");
        Assert.That(numbers, Is.EqualTo(merged), "each slot carried its own frame");
        Assert.That(engine.Counters.Frames, Is.EqualTo(Frames));
        for (int d = 0; d < devices.Count; d++)
        {
            Assert.That(devices[d].Counters.Forwarded, Is.EqualTo(sent[d]), devices[d].Name);
            Assert.That(devices[d].Chain!.Elements[1].Counters.Received, Is.EqualTo(sent[d]), "the device's chain saw each of its frames whole");
        }
    }

    [Test]
    public void Chains_swapped_while_the_shards_run_leave_every_frame_handled_by_one_whole_chain()
    {
        var (engine, devices) = Engine(8, "pass -> pass");
        var retired = new List<Chain>();
        int next = 0;
        using var stop = new CancellationTokenSource();
        var swapper = new Thread(() =>
        {
            for (int i = 0; i < 200 && !stop.IsCancellationRequested; i++)
            {
                var device = devices[i % devices.Count];
                var old = device.Swap(new ChainHarness("pass -> pass").Chain);
                lock (retired)
                {
                    retired.Add(old!);
                }

                Thread.Yield();
            }
        });
        swapper.Start();
        using var shards = new ShardedEngine(engine, 2, () => new ElementContext(new RecordingAlertSink()), 16);
        shards.Run(frame =>
        {
            if (next == 30_000)
            {
                return false;
            }

            frame.Load(Udp(devices[next % devices.Count]), next++, Direction.FromDevice);
            return true;
        }, _ => { });
        stop.Cancel();
        swapper.Join();

        var chains = retired.Concat(devices.Select(d => d.Chain!)).ToList();
        Assert.That(chains.Sum(c => c.Elements[0].Counters.Received), Is.EqualTo(30_000), "every frame entered exactly one chain");
        Assert.That(chains.Where(c => c.Elements[0].Counters.Received != c.Elements[1].Counters.Received), Is.Empty, "no frame left a chain half way");
    }

    [Test]
    public void A_failing_merge_ends_the_run_with_its_exception_and_stops_every_engine_thread()
    {
        var (engine, devices) = Engine(4, "pass");
        int next = 0;
        using var shards = new ShardedEngine(engine, 2, () => new ElementContext(new RecordingAlertSink()), 8);
        var e = Assert.Throws<InvalidOperationException>(() => shards.Run(
            frame =>
            {
                frame.Load(Udp(devices[next % devices.Count]), next++, Direction.FromDevice);
                return next < 1_000_000;
            },
            slot =>
            {
                if (slot.Sequence == 100)
                {
                    throw new InvalidOperationException("sink failed");
                }
            }));
        Assert.That(e!.Message, Is.EqualTo("sink failed"));
        Assert.That(next, Is.LessThan(100 + (2 * 8) + 2), "the reader stopped within the rings' room after the failure");
    }

    [Test]
    public void Frames_in_flight_when_cancelled_are_still_merged()
    {
        var (engine, devices) = Engine(4, "pass");
        using var cancel = new CancellationTokenSource();
        long read = 0, merged = 0;
        using var shards = new ShardedEngine(engine, 2, () => new ElementContext(new RecordingAlertSink()), 64);
        shards.Run(
            frame =>
            {
                frame.Load(Udp(devices[(int)(read % devices.Count)]), read, Direction.FromDevice);
                if (++read == 500)
                {
                    cancel.Cancel();
                }

                return true;
            },
            _ => merged++,
            cancel.Token);
        Assert.That(merged, Is.EqualTo(read));
    }

    [Test]
    public void A_slot_gets_a_reply_buffer_only_when_its_chain_replied()
    {
        const int Ring = 64;
        var (engine, devices) = Engine(4, "pass");
        using var shards = new ShardedEngine(engine, 2, () => new ElementContext(new RecordingAlertSink()), Ring);
        var packets = devices.Select(Udp).ToArray(); // built before counting: the reader runs on this thread
        int next = 0, replies = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        shards.Run(
            frame =>
            {
                frame.Load(packets[next % packets.Length], next, Direction.FromDevice);
                return ++next <= 1_000;
            },
            slot => replies += slot.ReplyIfAny is null ? 0 : 1);
        long merging = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(replies, Is.Zero, "a pass chain never replies");

        // The reading and merging thread allocates its threads and one staging frame; a 2 KB reply frame for each of
        // the 2 x 64 slots would be 256 KB more.
        Assert.That(merging, Is.LessThan(64 * 1024), "no reply buffers were made for frames that were not answered");
    }

    private static (PacketEngine Engine, List<DeviceSlot> Devices) Engine(int count, string chain)
    {
        var engine = new PacketEngine(new RecordingAlertSink());
        var devices = new List<DeviceSlot>();
        for (int i = 0; i < count; i++)
        {
            var slot = new DeviceSlot($"dev{i}", 0x02_00_00_00_10_00UL + (ulong)i, [Ip.FromV4(0xC0_00_02_00u + (uint)i + 1)]);
            slot.Swap(new ChainHarness(chain).Chain);
            engine.Devices.Add(slot);
            devices.Add(slot);
        }

        return (engine, devices);
    }

    private static byte[] Udp(DeviceSlot device) =>
        Frames.Udp(Ip.Format(device.Ips[0]), 5000, "203.0.113.9", 53, "q", srcMac: Mac.Format(device.Mac), dstMac: Frames.GatewayMac);
}
