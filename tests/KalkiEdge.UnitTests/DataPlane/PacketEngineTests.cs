using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.DataPlane;

public class PacketEngineTests
{
    private const string OtherDeviceMac = "02:00:00:00:00:02";
    private const string OtherDeviceIp = "192.0.2.11";
    private const string AttackerMac = "02:00:00:00:0a:01";

    private RecordingAlertSink _alerts = null!;
    private PacketEngine _engine = null!;
    private ElementContext _context = null!;
    private DeviceSlot _device = null!;
    private DeviceSlot _other = null!;
    private readonly Frame _frame = new();

    [SetUp]
    public void SetUp()
    {
        _alerts = new RecordingAlertSink();
        _engine = new PacketEngine(_alerts);
        _context = new ElementContext(_alerts);
        _device = AddDevice("dev1", Frames.DeviceMac, Frames.DeviceIp, "pass");
        _other = AddDevice("dev2", OtherDeviceMac, null, "pass");
    }

    [Test]
    public void Forwards_device_traffic_through_its_chain_both_ways()
    {
        Assert.That(Process(Frames.Udp(Frames.DeviceIp, 5000, Frames.CloudIp, 53, "q", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(Process(Frames.Udp(Frames.CloudIp, 53, Frames.DeviceIp, 5000, "a"), Direction.ToDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(_device.Counters.Forwarded, Is.EqualTo(2));
        Assert.That(_device.Counters.FromDeviceFrames, Is.EqualTo(1));
        Assert.That(_device.Counters.ToDeviceFrames, Is.EqualTo(1));
        Assert.That(_alerts.Alerts, Is.Empty);
    }

    [Test]
    public void The_context_names_the_chain_generation_that_ran_for_each_frame_and_none_when_no_chain_ran()
    {
        var chain = _device.Chain;
        Process(Frames.Udp(Frames.DeviceIp, 5000, Frames.CloudIp, 53, "q", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
        var ran = _context.Ran;
        _device.Swap(chain!.Definition.Instantiate());
        var afterSwap = _context.Ran;
        _engine.UnknownDevices = UnknownDevicePolicy.Forward;
        var unknown = Process(Frames.Udp("192.0.2.99", 5000, Frames.CloudIp, 53, "q", "02:00:00:00:00:99", Frames.GatewayMac), Direction.FromDevice);

        Assert.Multiple(() =>
        {
            Assert.That(ran, Is.EqualTo(new ChainRun(_device, chain, 1)));
            Assert.That(afterSwap, Is.EqualTo(ran), "the generation that ran, not the one in force later");
            Assert.That(unknown, Is.EqualTo(Verdict.Forward));
            Assert.That(_context.Ran, Is.EqualTo(ChainRun.None), "a forwarded frame no chain ran for names no device");
        });
    }

    [Test]
    public void Frames_of_unknown_devices_are_dropped_by_default_with_one_alert_per_mac()
    {
        for (int i = 0; i < 3; i++)
        {
            Assert.That(Process(Frames.Udp("192.0.2.99", 5000, Frames.CloudIp, 53, "q", "02:00:00:00:00:99", Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Drop));
        }

        Assert.That(_alerts.OfType(AlertTypes.UnknownDevice).Count(), Is.EqualTo(1));
        Assert.That(_engine.Counters.UnknownDevice, Is.EqualTo(3));
    }

    [Test]
    public void Unknown_devices_may_be_forwarded_when_configured()
    {
        _engine.UnknownDevices = UnknownDevicePolicy.Forward;
        Assert.That(Process(Frames.Udp("192.0.2.99", 5000, Frames.CloudIp, 53, "q", "02:00:00:00:00:99", Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
    }

    [Test]
    public void A_device_using_another_devices_ip_raises_ip_spoof_and_is_dropped()
    {
        Process(Frames.Udp(Frames.DeviceIp, 5000, Frames.CloudIp, 53, "q", OtherDeviceMac, Frames.GatewayMac), Direction.FromDevice);
        var alert = _alerts.OfType(AlertTypes.IpSpoof).Single();
        Assert.That(alert.Device, Is.EqualTo("dev2"));
        Assert.That(alert.Info, Does.Contain("belongs to device dev1"));
        Assert.That(_other.Counters.Spoofed, Is.EqualTo(1));
    }

    [Test]
    public void A_device_with_a_static_binding_may_not_use_another_address()
    {
        Assert.That(Process(Frames.Udp("192.0.2.77", 5000, Frames.CloudIp, 53, "q", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Drop));
        Assert.That(_alerts.OfType(AlertTypes.IpSpoof).Single().Info, Does.Contain("not bound"));
    }

    [Test]
    public void First_address_is_learned_then_bound()
    {
        Assert.That(Process(Frames.Udp(OtherDeviceIp, 5000, Frames.CloudIp, 53, "q", OtherDeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(_engine.Devices.OwnerOf(Ip.FromV4(0xC000020B)), Is.SameAs(_other));
        // dev1 may now not claim dev2's learned address.
        Assert.That(Process(Frames.Udp(OtherDeviceIp, 5000, Frames.CloudIp, 53, "q", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Dhcp_source_0_0_0_0_is_not_spoofing()
    {
        Assert.That(Process(Frames.Udp("0.0.0.0", 68, "255.255.255.255", 67, "discover", OtherDeviceMac, "ff:ff:ff:ff:ff:ff"), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
    }

    [Test]
    public void Arp_reply_from_the_network_claiming_a_device_ip_raises_arp_spoof()
    {
        var spoof = Frames.ArpReply(AttackerMac, Frames.DeviceIp, OtherDeviceMac, OtherDeviceIp);
        Assert.That(Process(spoof, Direction.ToDevice), Is.EqualTo(Verdict.Drop));
        var alert = _alerts.OfType(AlertTypes.ArpSpoof).Single();
        Assert.That(alert.Device, Is.EqualTo("dev1"));
        Assert.That(alert.Source, Is.EqualTo(AlertSource.Platform));
    }

    [Test]
    public void Arp_from_a_device_naming_another_sender_mac_raises_arp_spoof()
    {
        var spoof = Frames.ArpReply(AttackerMac, OtherDeviceIp, Frames.GatewayMac, Frames.CloudIp, ethSrc: OtherDeviceMac);
        Assert.That(Process(spoof, Direction.FromDevice), Is.EqualTo(Verdict.Drop));
        Assert.That(_alerts.OfType(AlertTypes.ArpSpoof).Single().Device, Is.EqualTo("dev2"));
    }

    [Test]
    public void A_device_mac_arriving_from_the_uplink_raises_mac_spoof()
    {
        Assert.That(Process(Frames.Udp(Frames.AttackerIp, 5000, OtherDeviceIp, 53, "x", Frames.DeviceMac, OtherDeviceMac), Direction.ToDevice), Is.EqualTo(Verdict.Drop));
        Assert.That(_alerts.OfType(AlertTypes.MacSpoof).Single().Device, Is.EqualTo("dev1"));
    }

    [Test]
    public void Spoof_alert_floods_are_aggregated_not_one_per_frame()
    {
        var spoof = Frames.ArpReply(AttackerMac, Frames.DeviceIp, OtherDeviceMac, OtherDeviceIp);
        for (int i = 0; i < 1000; i++)
        {
            Process(spoof, Direction.ToDevice, 1_000_000 + (i * 100));
        }

        Process(spoof, Direction.ToDevice, 3_000_000);
        var alerts = _alerts.OfType(AlertTypes.ArpSpoof).ToList();
        Assert.That(alerts, Has.Count.EqualTo(2));
        Assert.That(alerts[1].Count, Is.EqualTo(1000));
    }

    [TestCase(10, "runt")]
    [TestCase(30, "truncated IPv4 header")]
    public void Malformed_frames_are_counted_and_dropped_never_forwarded(int length, string reason)
    {
        var bytes = Frames.Udp(Frames.CloudIp, 53, Frames.DeviceIp, 5000, "answer")[..length];
        Assert.That(Process(bytes, Direction.ToDevice), Is.EqualTo(Verdict.Drop));
        Assert.That(_engine.Counters.Malformed, Is.EqualTo(1));
        if (length >= 14)
        {
            Assert.That(_frame.Malformation, Does.Contain(reason));
        }
    }

    [Test]
    public void Ip_total_length_beyond_the_capture_is_malformed()
    {
        var bytes = Frames.Udp(Frames.CloudIp, 53, Frames.DeviceIp, 5000, "answer");
        bytes[16] = 0x05; // total length 0x05xx > captured
        Assert.That(Process(bytes, Direction.ToDevice), Is.EqualTo(Verdict.Drop));
        Assert.That(_frame.Malformation, Does.Contain("bad IPv4 lengths"));
    }

    [Test]
    public void Broadcast_from_the_network_uses_the_network_chain_and_is_dropped_without_one()
    {
        var arpRequest = new byte[42];
        Frames.ArpReply(Frames.GatewayMac, Frames.CloudIp, OtherDeviceMac, OtherDeviceIp).CopyTo(arpRequest, 0);
        Mac.Write(Mac.Broadcast, arpRequest);
        Assert.That(Process(arpRequest, Direction.ToDevice), Is.EqualTo(Verdict.Drop));
        _engine.Network.Swap(Compile("pass"));
        Assert.That(Process(arpRequest, Direction.ToDevice), Is.EqualTo(Verdict.Forward));
    }

    [Test]
    public void Direction_is_inferred_from_device_macs_for_captures()
    {
        _frame.Load(Frames.Udp(Frames.DeviceIp, 5000, Frames.CloudIp, 53, "q", Frames.DeviceMac, Frames.GatewayMac), 0, Direction.ToDevice);
        Assert.That(_engine.InferDirection(_frame), Is.EqualTo(Direction.FromDevice));
        _frame.Load(Frames.Udp(Frames.CloudIp, 53, Frames.DeviceIp, 5000, "a"), 0, Direction.FromDevice);
        Assert.That(_engine.InferDirection(_frame), Is.EqualTo(Direction.ToDevice));
    }

    [Test]
    public void A_swap_takes_effect_for_the_next_frame_and_bumps_the_epoch()
    {
        var frame = Frames.Udp(Frames.CloudIp, 53, Frames.DeviceIp, 5000, "a");
        Assert.That(Process(frame, Direction.ToDevice), Is.EqualTo(Verdict.Forward));
        var epoch = _device.Epoch;
        var old = _device.Swap(Compile("block-all"));
        Assert.That(old!.Definition.Text, Is.EqualTo("pass"));
        Assert.That(_device.Epoch, Is.EqualTo(epoch + 1));
        Assert.That(Process(frame, Direction.ToDevice), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Concurrent_swaps_never_let_a_frame_see_two_chains()
    {
        // Chain A = pass -> pass, chain B = block-all: a frame is either forwarded by both passes of A or
        // dropped by B; element counters prove no frame ran half of A.
        var a = Compile("pass -> pass");
        var b = Compile("block-all");
        _device.Swap(a);
        var frame = Frames.Udp(Frames.CloudIp, 53, Frames.DeviceIp, 5000, "a");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var swapper = Task.Run(() =>
        {
            for (int i = 0; i < 20_000 && !stop.IsCancellationRequested; i++)
            {
                _device.Swap(i % 2 == 0 ? b : a);
            }
        });
        var f = new Frame();
        var ctx = new ElementContext(_alerts);
        for (int i = 0; i < 20_000; i++)
        {
            f.Load(frame, i, Direction.ToDevice);
            _engine.Process(f, ctx);
        }

        swapper.Wait();
        Assert.That(a.Elements[0].Counters.Received, Is.EqualTo(a.Elements[1].Counters.Received));
    }

    [Test]
    public void Device_counters_stay_exact_when_two_capture_threads_reach_the_same_device()
    {
        // The live bridge processes a device's outbound frames on its port's thread and its inbound frames on the
        // uplink's: both end in the device's counters. block-all makes every frame the shortest path to them.
        _device.Swap(Compile("block-all"));
        const int PerDirection = 1_000_000;
        var outbound = Frames.Udp(Frames.DeviceIp, 5000, Frames.CloudIp, 53, "q", Frames.DeviceMac, Frames.GatewayMac);
        var inbound = Frames.Udp(Frames.CloudIp, 53, Frames.DeviceIp, 5000, "a");
        using var start = new Barrier(2);
        void CaptureThread()
        {
            var frame = new Frame();
            var context = new ElementContext(_alerts);
            start.SignalAndWait();
            for (int i = 0; i < PerDirection; i++)
            {
                frame.Load(outbound, i, Direction.FromDevice);
                _engine.Process(frame, context);
                frame.Load(inbound, i, Direction.ToDevice);
                _engine.Process(frame, context);
            }
        }

        var threads = new[] { new Thread(CaptureThread), new Thread(CaptureThread) };
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        Assert.Multiple(() =>
        {
            Assert.That(_device.Counters.FromDeviceFrames, Is.EqualTo(2 * PerDirection));
            Assert.That(_device.Counters.ToDeviceFrames, Is.EqualTo(2 * PerDirection));
            Assert.That(_device.Counters.Dropped, Is.EqualTo(4 * PerDirection));
            Assert.That(_engine.Counters.Dropped, Is.EqualTo(4 * PerDirection));
        });
    }

    [Test]
    public void Hundred_thousand_random_source_macs_keep_memory_bounded_and_alerts_aggregated()
    {
        var bytes = Frames.Udp("192.0.2.99", 5000, Frames.CloudIp, 53, "q", "02:00:00:00:00:99", Frames.GatewayMac);
        var rng = new Random(7);
        GC.Collect();
        var before = GC.GetTotalMemory(true);
        for (int i = 0; i < 100_000; i++)
        {
            Mac.Write((ulong)rng.NextInt64(1, 1L << 46) << 1 & 0xFEFF_FFFF_FFFF, bytes.AsSpan(6));
            Process(bytes, Direction.FromDevice, 1_000_000 + i);
        }

        var after = GC.GetTotalMemory(true);
        Assert.That(after - before, Is.LessThan(4_000_000), "unknown-MAC tracking must stay bounded");
        Assert.That(_alerts.OfType(AlertTypes.UnknownDevice).Count(), Is.EqualTo(1), "one alert per second of frame time");

        // The next alert after the interval carries the count of those it stands for.
        Mac.Write(0x02_00_00_00_77_77, bytes.AsSpan(6));
        Process(bytes, Direction.FromDevice, 5_000_000);
        Assert.That(_alerts.OfType(AlertTypes.UnknownDevice).Sum(a => a.Count), Is.EqualTo(100_001));
        Assert.That(_engine.Counters.UnknownDevice, Is.EqualTo(100_001));
    }

    private DeviceSlot AddDevice(string name, string mac, string? ip, string chain)
    {
        Assert.That(Mac.TryParse(mac, out var m), Is.True);
        var ips = ip is null ? Array.Empty<UInt128>() : [Ip.TryParse(ip, out var v) ? v : 0];
        var slot = new DeviceSlot(name, m, ips);
        slot.Swap(Compile(chain));
        _engine.Devices.Add(slot);
        return slot;
    }

    private static Chain Compile(string text)
    {
        var diagnostics = new DiagnosticBag();
        var compiler = new ChainCompiler(KalkiEdge.Umboxes.UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(RepoPaths.Rules));
        return (compiler.Compile(text, new SourceSpan("t", 1, 1), diagnostics) ?? throw new ConfigurationException(diagnostics.Items)).Instantiate();
    }

    private Verdict Process(byte[] bytes, Direction direction, long time = 1_000_000)
    {
        _frame.Load(bytes, time, direction);
        return _engine.Process(_frame, _context);
    }
}
