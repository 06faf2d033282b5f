using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Common;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.NetTestKit;

namespace KalkiEdge.UnitTests.Umboxes.Common;

public class KnownFlowsTests
{
    private const string Device = Frames.DeviceIp;
    private const string Cloud = Frames.CloudIp;
    private const long Start = 1_000 * Second;
    private static readonly TcpFlagsBuilder Fin = new(Fin: true, Ack: true);
    private static readonly TcpFlagsBuilder Rst = new(Rst: true, Ack: true);

    private static readonly uint SpoofedBase = V4("198.51.100.0");

    private readonly Frame _frame = new();
    private readonly byte[] _spoofed = Frames.Udp(Cloud, 1, Device, 53);

    [Test]
    public void A_flow_starts_once_and_is_continued_from_either_side()
    {
        var flows = new KnownFlows(16, 120 * Second);
        Assert.That(Starts(ref flows, Out(TcpFlagsBuilder.SynOnly), Start), Is.True);
        Assert.That(Starts(ref flows, In(TcpFlagsBuilder.SynAck), Start + 1), Is.False, "the reply continues the device's flow");
        Assert.That(Starts(ref flows, Out(TcpFlagsBuilder.AckOnly), Start + 2), Is.False);
        Assert.That(Starts(ref flows, In(TcpFlagsBuilder.AckOnly, remotePort: 444), Start + 3), Is.True, "another remote port is another flow");
        Assert.That(flows.Count, Is.EqualTo(2));
        Assert.That(flows.Opened, Is.EqualTo(2));
    }

    [Test]
    public void Rst_ends_a_flow_at_once_and_neither_rst_nor_fin_opens_one()
    {
        var flows = new KnownFlows(16, 120 * Second);
        Starts(ref flows, Out(TcpFlagsBuilder.SynOnly), Start);
        Assert.That(Starts(ref flows, In(Rst), Start + 1), Is.False, "the RST belongs to the flow");
        Assert.That(flows.Count, Is.Zero);
        Assert.That(flows.Closed, Is.EqualTo(1));
        Assert.That(Starts(ref flows, In(TcpFlagsBuilder.AckOnly), Start + 2), Is.True, "after the RST the flow is gone");

        Assert.That(Starts(ref flows, In(Rst, remotePort: 9), Start + 3), Is.True);
        Assert.That(Starts(ref flows, In(Fin, remotePort: 9), Start + 4), Is.True, "nothing was remembered for the RST");
        Assert.That(flows.Count, Is.EqualTo(1), "nor for the FIN");
    }

    [Test]
    public void Fin_from_both_sides_ends_a_flow_after_the_linger_and_one_side_keeps_it()
    {
        var flows = new KnownFlows(16, 120 * Second);
        Starts(ref flows, Out(TcpFlagsBuilder.SynOnly), Start);
        Starts(ref flows, Out(Fin), Start + Second);
        Assert.That(Starts(ref flows, In(TcpFlagsBuilder.PshAck), Start + (60 * Second)), Is.False, "half-closed: the server may still send");
        Starts(ref flows, In(Fin), Start + (61 * Second));
        Assert.That(Starts(ref flows, In(TcpFlagsBuilder.AckOnly), Start + (62 * Second) + 1), Is.False, "last ACK within the linger, which does not refresh");
        Assert.That(Starts(ref flows, In(TcpFlagsBuilder.AckOnly), Start + (61 * Second) + FlowTracker.CloseLingerMicros), Is.True, "the linger runs from the second FIN");
        Assert.That(flows.Closed, Is.EqualTo(1));
    }

    [Test]
    public void Idle_flows_end_in_frame_time()
    {
        var flows = new KnownFlows(16, 30 * Second);
        Starts(ref flows, OutUdp(), Start);
        Assert.That(Starts(ref flows, InUdp(), Start + (29 * Second)), Is.False, "29 s idle: alive, and refreshed");
        Assert.That(Starts(ref flows, InUdp(), Start + (58 * Second)), Is.False);
        Assert.That(Starts(ref flows, InUdp(), Start + (88 * Second)), Is.True, "30 s idle: a new flow");
        Assert.That(flows.Expirations, Is.EqualTo(1));
        Assert.That(flows.Count, Is.EqualTo(1));
    }

    [TestCase(1, 1)]
    [TestCase(3, 3)]
    [TestCase(4096, 4096)]
    [TestCase(4099, 4096)]
    public void Never_holds_more_than_its_capacity(int capacity, int held)
    {
        var flows = new KnownFlows(capacity, 120 * Second);
        Assert.That(flows.Capacity, Is.EqualTo(held));
        // Eight flows per entry: every set is full at the end, whatever the per-process hash placed where.
        Flood(ref flows, 0, 8 * capacity);
        Assert.That(flows.Count, Is.EqualTo(held));
        Assert.That(flows.Evictions, Is.EqualTo((8 * capacity) - held));
    }

    [Test]
    public void A_flood_of_spoofed_flows_evicts_without_growing_and_allocates_nothing_once_full()
    {
        var flows = new KnownFlows(1024, 120 * Second);
        Flood(ref flows, 0, 2048);
        int opened = 2048;
        long allocated = SteadyAllocations.Fewest(_ =>
        {
            Flood(ref flows, opened, 100_000);
            opened += 100_000;
        });

        Assert.That(allocated, Is.Zero);
        Assert.That(flows.Count, Is.EqualTo(1024));
        Assert.That(flows.Opened, Is.EqualTo(opened));
        Assert.That(flows.Evictions, Is.EqualTo(opened - 1024));
        Assert.That(Starts(ref flows, Spoofed(0), Start + opened), Is.True, "the first spoofed flow was displaced");
    }

    [Test]
    public void Growing_keeps_every_live_flow()
    {
        // Far from its capacity the table grows rather than evict; each doubling splits a set in two, so nothing is lost.
        var flows = new KnownFlows(65536, 120 * Second);
        Flood(ref flows, 0, 1000);
        int known = 0;
        for (int i = 0; i < 1000; i++)
        {
            known += Starts(ref flows, Spoofed(i), Start + 2000 + i) ? 0 : 1;
        }

        Assert.That(known, Is.EqualTo(1000));
        Assert.That(flows.Count, Is.EqualTo(1000));
        Assert.That(flows.Evictions, Is.Zero);
    }

    private bool Starts(ref KnownFlows flows, (byte[] Bytes, Direction Direction) packet, long now)
    {
        _frame.Load(packet.Bytes, now, packet.Direction);
        if (!_frame.Decode() || !FlowKey.TryCreate(_frame, out var key))
        {
            throw new InvalidOperationException("test packet without a flow key");
        }

        return flows.Starts(_frame, key);
    }

    // UDP datagrams toward the device from distinct remote addresses and ports, one microsecond apart (one buffer rewritten: nothing allocated).
    private void Flood(ref KnownFlows flows, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            Starts(ref flows, Spoofed(i), Start + i);
        }
    }

    private (byte[], Direction) Spoofed(int i) =>
        (_spoofed.WithSrcIp(SpoofedBase + (uint)(i >> 16)).WithSrcPort((ushort)(1 + (i & 0xFFFF))), Direction.ToDevice);

    private static (byte[], Direction) Out(TcpFlagsBuilder flags) =>
        (Frames.Tcp(Device, 40000, Cloud, 443, flags, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);

    private static (byte[], Direction) In(TcpFlagsBuilder flags, ushort remotePort = 443) =>
        (Frames.Tcp(Cloud, remotePort, Device, 40000, flags), Direction.ToDevice);

    private static (byte[], Direction) OutUdp() =>
        (Frames.Udp(Device, 50000, Cloud, 53, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);

    private static (byte[], Direction) InUdp(ushort remotePort = 53) =>
        (Frames.Udp(Cloud, remotePort, Device, 50000), Direction.ToDevice);
}
