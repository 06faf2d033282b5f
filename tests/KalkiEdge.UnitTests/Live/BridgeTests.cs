using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.UnitTests.Support;
using KalkiEdge.Umboxes;

namespace KalkiEdge.UnitTests.Live;

public sealed partial class BridgeTests
{
    private const string Hue = "02:4b:45:01:00:10";
    private const string Cam = "02:4b:45:01:00:13";
    private const string Blocked = "02:4b:45:01:00:12";
    private const string Cloud = "02:4b:45:02:00:64";
    private const string Dev0Mac = "02:4b:45:00:00:01";
    private const string Up0Mac = "02:4b:45:00:00:02";

    private RecordingAlertSink _alerts = null!;
    private PacketEngine _engine = null!;
    private FakePort _dev0 = null!;
    private FakePort _dev1 = null!;
    private FakePort _up0 = null!;
    private readonly Frame _frame = new();

    [SetUp]
    public void SetUp()
    {
        _alerts = new RecordingAlertSink();
        _engine = new PacketEngine(_alerts);
        _engine.Network.Swap(Compile("pass").Instantiate());
        AddDevice("hue", Hue, "192.0.2.10", Compile("pass"));
        AddDevice("cam", Cam, "192.0.2.13", Compile("pass"));
        AddDevice("udoo", Blocked, "192.0.2.12", Compile("block-all"));
        _dev0 = new FakePort("dev0", M(Dev0Mac));
        _dev1 = new FakePort("dev1", 0x024b45000003);
        _up0 = new FakePort("up0", M(Up0Mac));
    }

    [TearDown]
    public void TearDown()
    {
        _dev0.Dispose();
        _dev1.Dispose();
        _up0.Dispose();
    }

    [Test]
    public void Device_frames_go_to_the_uplink_and_answers_come_back_to_the_device_port()
    {
        using var bridge = Build(_dev0);
        FromDevice(bridge, 0, Frames.IcmpEcho("192.0.2.10", "192.0.2.100", srcMac: Hue, dstMac: Cloud));
        FromUplink(bridge, Frames.IcmpEcho("192.0.2.100", "192.0.2.10", srcMac: Cloud, dstMac: Hue));

        Assert.Multiple(() =>
        {
            Assert.That(_up0.Sent, Has.Count.EqualTo(1));
            Assert.That(_dev0.Sent, Has.Count.EqualTo(1));
            Assert.That(_engine.Counters.Forwarded, Is.EqualTo(2));
        });
    }

    [Test]
    public void A_blocked_device_is_cut_off_both_ways_while_others_pass()
    {
        using var bridge = Build(_dev0);
        FromDevice(bridge, 0, Frames.IcmpEcho("192.0.2.12", "192.0.2.100", srcMac: Blocked, dstMac: Cloud));
        FromUplink(bridge, Frames.IcmpEcho("192.0.2.100", "192.0.2.12", srcMac: Cloud, dstMac: Blocked));
        FromDevice(bridge, 0, Frames.IcmpEcho("192.0.2.10", "192.0.2.100", srcMac: Hue, dstMac: Cloud));

        Assert.Multiple(() =>
        {
            Assert.That(_up0.Sent.Select(f => Mac.Read(f.AsSpan(6, 6))), Is.EqualTo(new[] { M(Hue) }));
            Assert.That(_dev0.Sent, Is.Empty);
        });
    }

    [Test]
    public void Unknown_devices_are_not_bridged()
    {
        using var bridge = Build(_dev0);
        FromDevice(bridge, 0, Frames.IcmpEcho("192.0.2.50", "192.0.2.100", srcMac: "02:4b:45:09:09:09", dstMac: Cloud));

        Assert.That(_up0.Sent, Is.Empty);
        Assert.That(_engine.Counters.UnknownDevice, Is.EqualTo(1));
    }

    [Test]
    public void Frames_to_or_from_the_appliances_own_ports_are_left_to_the_kernel()
    {
        using var bridge = Build(_dev0);
        FromUplink(bridge, Frames.IcmpEcho("192.0.2.100", "192.0.2.1", srcMac: Cloud, dstMac: Up0Mac));
        FromDevice(bridge, 0, Frames.IcmpEcho("192.0.2.10", "192.0.2.1", srcMac: Hue, dstMac: Dev0Mac));

        Assert.Multiple(() =>
        {
            Assert.That(_up0.Sent, Is.Empty);
            Assert.That(_dev0.Sent, Is.Empty);
            Assert.That(bridge.Counters.Management, Is.EqualTo(2));
            Assert.That(_engine.Counters.Frames, Is.Zero, "management frames never reach the engine");
        });
    }

    [Test]
    public void Management_addresses_are_not_bridged_even_in_broadcasts()
    {
        using var bridge = Build(_dev0, managementIps: ["192.0.2.1"]);
        FromUplink(bridge, Frames.ArpReply("02:4b:45:02:00:64", "192.0.2.100", "ff:ff:ff:ff:ff:ff", "192.0.2.1", ethSrc: Cloud, ethDst: "ff:ff:ff:ff:ff:ff"));
        FromUplink(bridge, Frames.ArpReply("02:4b:45:02:00:64", "192.0.2.100", "ff:ff:ff:ff:ff:ff", "192.0.2.10", ethSrc: Cloud, ethDst: "ff:ff:ff:ff:ff:ff"));

        Assert.That(_dev0.Sent, Has.Count.EqualTo(1), "only the ARP for the device crosses");
        Assert.That(bridge.Counters.Management, Is.EqualTo(1));
    }

    [Test]
    public void With_several_device_ports_frames_go_where_the_device_was_seen_and_broadcasts_go_everywhere()
    {
        using var bridge = Build(_dev0, _dev1);
        FromDevice(bridge, 0, Frames.IcmpEcho("192.0.2.10", "192.0.2.100", srcMac: Hue, dstMac: Cloud));
        FromDevice(bridge, 1, Frames.IcmpEcho("192.0.2.13", "192.0.2.100", srcMac: Cam, dstMac: Cloud));
        FromUplink(bridge, Frames.IcmpEcho("192.0.2.100", "192.0.2.13", srcMac: Cloud, dstMac: Cam));
        FromUplink(bridge, Frames.IcmpEcho("192.0.2.100", "192.0.2.10", srcMac: Cloud, dstMac: Hue));

        Assert.Multiple(() =>
        {
            Assert.That(_dev0.Sent.Select(Destination), Is.EqualTo(new[] { M(Hue) }));
            Assert.That(_dev1.Sent.Select(Destination), Is.EqualTo(new[] { M(Cam) }));
            Assert.That(bridge.Counters.Flooded, Is.Zero);
        });

        FromUplink(bridge, Frames.ArpReply("02:4b:45:02:00:64", "192.0.2.100", "ff:ff:ff:ff:ff:ff", "192.0.2.10", ethSrc: Cloud, ethDst: "ff:ff:ff:ff:ff:ff"));
        Assert.That((_dev0.Sent.Count, _dev1.Sent.Count, bridge.Counters.Flooded), Is.EqualTo((2, 2, 1L)));
    }

    [Test]
    public void A_device_not_yet_seen_is_reached_on_every_device_port()
    {
        using var bridge = Build(_dev0, _dev1);
        FromUplink(bridge, Frames.IcmpEcho("192.0.2.100", "192.0.2.13", srcMac: Cloud, dstMac: Cam));

        Assert.That((_dev0.Sent.Count, _dev1.Sent.Count), Is.EqualTo((1, 1)));
    }

    [Test]
    public void Replies_leave_by_the_port_the_frame_came_in()
    {
        var echo = EchoBack.Chain;
        _engine.Devices.ByMac(M(Hue))!.Swap(echo.Instantiate());
        using var bridge = Build(_dev0);
        FromDevice(bridge, 0, Frames.IcmpEcho("192.0.2.10", "192.0.2.100", srcMac: Hue, dstMac: Cloud));
        FromUplink(bridge, Frames.IcmpEcho("192.0.2.100", "192.0.2.10", srcMac: Cloud, dstMac: Hue));

        Assert.Multiple(() =>
        {
            Assert.That(_dev0.Sent.Select(Destination), Is.EqualTo(new[] { M(Hue) }), "reply to the device's frame goes back to the device");
            Assert.That(_up0.Sent.Select(Destination), Is.EqualTo(new[] { M(Cloud) }), "reply to the cloud's frame goes back up");
            Assert.That(_engine.Counters.Replied, Is.EqualTo(2));
        });
    }

    [Test]
    public void Bridging_frames_allocates_nothing_per_frame()
    {
        using var dev0 = new FakePort("dev0", M(Dev0Mac), record: false);
        using var up0 = new FakePort("up0", M(Up0Mac), record: false);
        using var bridge = new Bridge(_engine, () => new ElementContext(_alerts), [dev0], up0, new ManagementFilter([M(Dev0Mac), M(Up0Mac)], []));
        var context = new ElementContext(_alerts);
        var outbound = Frames.Udp("192.0.2.10", 40000, "192.0.2.100", 7, "x", srcMac: Hue, dstMac: Cloud);
        var inbound = Frames.Udp("192.0.2.100", 7, "192.0.2.10", 40000, "x", srcMac: Cloud, dstMac: Hue);
        Pump(100); // warm-up: JIT, first-touch of tables

        long before = GC.GetAllocatedBytesForCurrentThread();
        Pump(10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.LessThan(1024), $"{allocated} bytes for 20,000 frames");
        Assert.That((up0.Counters.Sent, dev0.Counters.Sent), Is.EqualTo((10_100L, 10_100L)));

        void Pump(int n)
        {
            for (int i = 0; i < n; i++)
            {
                _frame.Load(outbound, 1_700_000_000_000_000 + i, Direction.FromDevice);
                bridge.FromDevicePort(0, _frame, context);
                _frame.Load(inbound, 1_700_000_000_000_000 + i, Direction.ToDevice);
                bridge.FromUplink(_frame, context);
            }
        }
    }

    [Test]
    public void Capture_threads_bridge_until_stopped_and_then_nothing_crosses()
    {
        var bridge = Build(_dev0);
        bridge.Start();
        _dev0.Receive(Frames.IcmpEcho("192.0.2.10", "192.0.2.100", srcMac: Hue, dstMac: Cloud));
        _up0.Receive(Frames.IcmpEcho("192.0.2.100", "192.0.2.10", srcMac: Cloud, dstMac: Hue));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((_up0.Sent.IsEmpty || _dev0.Sent.IsEmpty) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        bridge.Stop();
        _dev0.Receive(Frames.IcmpEcho("192.0.2.10", "192.0.2.100", srcMac: Hue, dstMac: Cloud));
        Thread.Sleep(50);

        Assert.Multiple(() =>
        {
            Assert.That((_up0.Sent.Count, _dev0.Sent.Count), Is.EqualTo((1, 1)));
            Assert.That(bridge.Failure, Is.Null);
            Assert.That(bridge.Status.Select(s => (s.Name, s.Received)), Is.EqualTo(new[] { ("dev0", 1L), ("up0", 1L) }));
        });
    }

    [Test]
    public void A_capture_thread_sends_what_is_queued_behind_a_frame_in_batches_and_the_rest_as_soon_as_its_port_runs_dry()
    {
        var sent = Enumerable.Range(0, 100).Select(i => Frames.Udp("192.0.2.10", (ushort)(40000 + i), "192.0.2.100", 7, "x", srcMac: Hue, dstMac: Cloud)).ToArray();
        foreach (var frame in sent)
        {
            _dev0.Receive(frame); // all waiting before the thread reads the first
        }

        var bridge = new Bridge(_engine, () => new ElementContext(_alerts), [_dev0], _up0, new ManagementFilter([], [])) { TransmitBatch = 32 };
        bridge.Start();
        WaitUntil(() => _up0.Sent.Count == 100);
        _dev0.Receive(sent[0]); // the port is dry again: a lone frame is not held for company
        WaitUntil(() => _up0.Sent.Count == 101);
        bridge.Stop();

        Assert.Multiple(() =>
        {
            Assert.That(_up0.Sent.Take(100), Is.EqualTo(sent), "every frame, in order");
            Assert.That(_up0.Batches.SelectMany(b => b.Flushed), Is.EqualTo(new[] { 32, 32, 32, 4, 1 }), "dev0's thread's batches to up0 (the uplink's own thread sent it nothing)");
            Assert.That(_up0.Counters.Sent, Is.EqualTo(101));
        });
    }

    [Test]
    public void With_a_transmit_batch_of_one_every_frame_goes_straight_to_its_port()
    {
        var bridge = new Bridge(_engine, () => new ElementContext(_alerts), [_dev0], _up0, new ManagementFilter([], [])) { TransmitBatch = 1 };
        bridge.Start();
        _dev0.Receive(Frames.IcmpEcho("192.0.2.10", "192.0.2.100", srcMac: Hue, dstMac: Cloud));
        WaitUntil(() => _up0.Sent.Count == 1);
        bridge.Stop();

        Assert.That((_up0.Batches.Count, _dev0.Batches.Count), Is.EqualTo((0, 0)));
    }

    [Test]
    public void A_dead_port_faults_the_bridge()
    {
        using var broken = new BrokenPort();
        var bridge = new Bridge(_engine, () => new ElementContext(_alerts), [broken], _up0, new ManagementFilter([], []));
        bridge.Start();

        Assert.That(bridge.Faulted.WaitOne(TimeSpan.FromSeconds(5)), Is.True);
        bridge.Stop();
        Assert.That(bridge.Failure!.Message, Does.Contain("dev9").And.Contain("interface went away"));
    }

    /// <summary>Polls (bounded, generous for a loaded machine): capture threads deliver asynchronously.</summary>
    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.That(condition(), Is.True, "not reached within 30 s");
    }

    private Bridge Build(FakePort device, FakePort? second = null, string[]? managementIps = null, int? pollCpu = null)
    {
        IBridgePort[] devices = second is null ? [device] : [device, second];
        var management = new ManagementFilter([.. devices.Append(_up0).Select(p => p.Mac)], [.. (managementIps ?? []).Select(IpOf)]);
        return new Bridge(_engine, () => new ElementContext(_alerts), devices, _up0, management) { PollCpu = pollCpu };
    }

    private void FromDevice(Bridge bridge, int port, byte[] bytes)
    {
        _frame.Load(bytes, 1_700_000_000_000_000, Direction.FromDevice);
        bridge.FromDevicePort(port, _frame, new ElementContext(_alerts));
    }

    private void FromUplink(Bridge bridge, byte[] bytes)
    {
        _frame.Load(bytes, 1_700_000_000_000_000, Direction.ToDevice);
        bridge.FromUplink(_frame, new ElementContext(_alerts));
    }

    private void AddDevice(string name, string mac, string ip, ChainDefinition chain)
    {
        var slot = new DeviceSlot(name, M(mac), [IpOf(ip)]);
        slot.Swap(chain.Instantiate());
        _engine.Devices.Add(slot);
    }

    private static ChainDefinition Compile(string text)
    {
        var diagnostics = new DiagnosticBag();
        return new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(RepoPaths.Rules)).Compile(text, new SourceSpan("test", 1, 1), diagnostics)
            ?? throw new InvalidOperationException(string.Join("\n", diagnostics.Items));
    }

    private static ulong M(string mac) => Mac.TryParse(mac, out var m) ? m : throw new ArgumentException(mac, nameof(mac));

    private static UInt128 IpOf(string ip) => Ip.TryParse(ip, out var a) ? a : throw new ArgumentException(ip, nameof(ip));

    private static ulong Destination(byte[] frame) => Mac.Read(frame.AsSpan(0, 6));

    private sealed class BrokenPort : IBridgePort
    {
        public string Name => "dev9";

        public ulong Mac => 0;

        public PortCounters Counters { get; } = new();

        public bool TryRead(Frame frame) => throw new FrameSourceException("dev9: capture failed: interface went away");

        public PortRead ReadNow(Frame frame) => throw new FrameSourceException("dev9: capture failed: interface went away");

        public PortRead ReadWithin(Frame frame, TimeSpan limit) => ReadNow(frame);

        public void Send(Frame frame) { }

        public ITransmitBatch OpenBatch(int capacity) => new QueuedBatch(this, capacity);

        public void Stop() { }

        public CaptureStatistics ReadStatistics() => default;

        public void Dispose() { }
    }
}
