using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Export;

/// <summary>Frame-level alerts carry the packet's addresses, ingress and what the chain did with it.</summary>
public class AlertAddressTests
{
    private const string Attacker = Frames.AttackerIp;
    private const string Device = Frames.DeviceIp;

    [Test]
    public void An_ips_alert_carries_the_five_tuple_the_rule_identity_and_allowed_when_the_chain_forwards()
    {
        var h = new ChainHarness("ips(rules: xmas-scan.rules)");
        Assert.That(h.Run(Frames.Tcp(Attacker, 40000, Device, 80, TcpFlagsBuilder.Xmas)), Is.EqualTo(Verdict.Forward));

        var alert = h.Sink.Alerts.Single();
        Assert.Multiple(() =>
        {
            Assert.That(alert.Flow, Is.EqualTo(new FlowTuple(Ip.FromV4(0xCB007142), Ip.FromV4(0xC000020A), 40000, 80, 6)));
            Assert.That(alert.Action, Is.EqualTo(AlertAction.Allowed));
            Assert.That(alert.Sid, Is.EqualTo(1000001));
            Assert.That(alert.Rev, Is.EqualTo(1));
            Assert.That(alert.ClassType, Is.EqualTo("attempted-recon"));
            Assert.That(alert.FrameNumber, Is.EqualTo(1));
            Assert.That(alert.TimeMicros, Is.EqualTo(h.NowMicros));
        });
    }

    [Test]
    public void An_alert_is_blocked_when_a_later_element_drops_its_packet()
    {
        var h = new ChainHarness("ips(rules: xmas-scan.rules) -> firewall(default: drop)");
        Assert.That(h.Run(Frames.Tcp(Attacker, 40000, Device, 80, TcpFlagsBuilder.Xmas)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Sink.Alerts.Single().Action, Is.EqualTo(AlertAction.Blocked));
    }

    [Test]
    public void Platform_alerts_carry_the_ingress_interface_and_blocked()
    {
        var alerts = new RecordingAlertSink();
        var engine = new PacketEngine(alerts);
        Assert.That(Mac.TryParse(Frames.DeviceMac, out var mac) && Ip.TryParse(Device, out var ip), Is.True);
        var slot = new DeviceSlot("cam", mac, [Ip.FromV4(0xC000020A)]);
        engine.Devices.Add(slot);
        var frame = new Frame { Ingress = "dev0" };
        // The device's MAC arriving from the uplink side: mac-spoof, dropped.
        frame.Load(Frames.Udp(Attacker, 5000, Device, 53, "x", Frames.DeviceMac, Frames.GatewayMac), 1_000_000, Direction.ToDevice);
        Assert.That(engine.Process(frame, new ElementContext(alerts)), Is.EqualTo(Verdict.Drop));

        var alert = alerts.OfType(AlertTypes.MacSpoof).Single();
        Assert.That(alert.Interface, Is.EqualTo("dev0"));
        Assert.That(alert.Action, Is.EqualTo(AlertAction.Blocked));
        Assert.That(alert.Flow?.SourcePort, Is.EqualTo(5000));
    }

    [Test]
    public void Flow_ids_are_the_same_both_ways_stable_and_within_51_bits()
    {
        var a = new FlowTuple(Ip.FromV4(0xC0000201), Ip.FromV4(0xCB007142), 40000, 80, 6);
        var back = new FlowTuple(a.DestinationIp, a.SourceIp, a.DestinationPort, a.SourcePort, 6);
        var udp = a with { Protocol = 17 };
        Assert.Multiple(() =>
        {
            Assert.That(back.Id, Is.EqualTo(a.Id));
            Assert.That(udp.Id, Is.Not.EqualTo(a.Id));
            Assert.That(a.Id, Is.InRange(1L, (1L << 51) - 1));
            // Fixed FNV-1a: the same value in every process and on every appliance (no per-run seed).
            Assert.That(a.Id, Is.EqualTo(new FlowTuple(Ip.FromV4(0xC0000201), Ip.FromV4(0xCB007142), 40000, 80, 6).Id));
        });
    }

    [Test]
    public void Frames_that_raise_no_alert_still_allocate_nothing_in_an_alerting_chain()
    {
        var h = new ChainHarness("ips(rules: xmas-scan.rules) -> firewall(default: drop)");
        var quiet = Frames.Tcp(Attacker, 40000, Device, 80, TcpFlagsBuilder.PshAck, "hello");
        for (int i = 0; i < 1000; i++)
        {
            h.Run(quiet); // warm-up: JIT tiers, lazily made tables
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            h.Run(quiet);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
        Assert.That(h.Sink.Alerts, Is.Empty);
    }
}
