using System.Text;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Ips;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Ips;

/// <summary>
/// The ips flow table's storage: it starts with a few entries and doubles up to its capacity, keeping every live flow
/// and its state (direction, establishment, drop, the TCP session) on the way; at its capacity a flood of new flows
/// evicts old ones without growing further or allocating.
/// </summary>
public sealed class FlowTableTests
{
    private const string Attacker = Frames.AttackerIp;
    private const string Device = Frames.DeviceIp;

    private readonly Frame _frame = new();

    [Test]
    public void Growing_from_a_few_entries_keeps_every_flow_and_its_state()
    {
        // Far below the capacity: nothing may be evicted, so every flow must survive every doubling.
        const int Flows = 100;
        var table = new FlowTable(4_096);
        Assert.That(table.Size, Is.Zero, "nothing allocated before the first flow");

        var first = Update(table, Frames.Udp(Attacker, 10_000, Device, 53), 0);
        Assert.That(table.Size, Is.LessThanOrEqualTo(4), "the first flow costs a few entries, not the capacity");
        table.Drop(first);
        for (int i = 1; i < Flows; i++)
        {
            var flow = Update(table, Frames.Udp(Attacker, (ushort)(10_000 + i), Device, 53), i);
            Assert.That((flow.ToServer, flow.FirstInDirection, flow.Established), Is.EqualTo((true, true, false)), $"flow {i} is new");
        }

        Assert.That(table.Size, Is.GreaterThanOrEqualTo(Flows).And.LessThan(table.Capacity), "grown on demand, not to the bound");
        Assert.That(table.Evictions, Is.Zero);
        for (int i = 0; i < Flows; i++)
        {
            var reply = UpdateExisting(table, Frames.Udp(Device, 53, Attacker, (ushort)(10_000 + i)), Flows + i);
            Assert.That(reply, Is.Not.Null, $"flow {i} was kept through the growth");
            Assert.That((reply!.Value.ToServer, reply.Value.FirstInDirection, reply.Value.Established, reply.Value.Dropped), Is.EqualTo((false, true, true, i == 0)), $"flow {i}'s state moved with it");
        }
    }

    [Test]
    public void A_flood_of_flows_evicts_old_ones_without_growing_past_the_capacity_or_allocating()
    {
        var table = new FlowTable(64);
        var packets = Enumerable.Range(0, 4_000).Select(i => Frames.Udp(Attacker, (ushort)(1_000 + i), Device, 53)).ToArray();
        for (int i = 0; i < 2_000; i++)
        {
            Update(table, packets[i], i);
        }

        Assert.That(table.Size, Is.EqualTo(64).And.EqualTo(table.Capacity));
        Assert.That(table.Evictions, Is.EqualTo(2_000 - 64), "every flow past the table's 64 displaced a live one");

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 2_000; i < packets.Length; i++)
        {
            Update(table, packets[i], i);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, "at its size the table allocates nothing per packet");
        Assert.That(table.Size, Is.EqualTo(64));
        Assert.That(table.Evictions, Is.EqualTo(4_000 - 64));
        Assert.That(UpdateExisting(table, packets[^1], packets.Length), Is.Not.Null, "the newest flow is held");
        Assert.That(UpdateExisting(table, packets[0], packets.Length), Is.Null, "the oldest was evicted");
    }

    [Test]
    public void A_tcp_session_moves_with_its_flow_when_the_table_grows()
    {
        var table = new FlowTable(256, new TcpSessions(new StreamLimits(Window: 256, OutOfOrder: 256, Depth: 1 << 20, Memory: 1 << 20)));
        var syn = Update(table, Frames.Tcp(Attacker, 40_000, Device, 80, TcpFlagsBuilder.SynOnly), 0);
        var session = table.Session(syn);
        session.ToServer.Add(1_000, Encoding.ASCII.GetBytes("GET /"));
        for (int i = 0; i < 100; i++)
        {
            Update(table, Frames.Udp(Attacker, (ushort)(10_000 + i), Device, 53), 1 + i);
        }

        Assert.That(table.Size, Is.GreaterThan(4), "the table grew meanwhile");
        var data = Update(table, Frames.Tcp(Attacker, 40_000, Device, 80, TcpFlagsBuilder.PshAck, "x"), 200);
        Assert.That(table.Session(data), Is.SameAs(session), "the session went where its flow went");
        Assert.That(Encoding.ASCII.GetString(session.ToServer.Slice(0, 5)), Is.EqualTo("GET /"));
    }

    [Test]
    public void The_session_of_an_evicted_flow_serves_the_next_flow_afresh_and_gives_its_stream_buffer_back()
    {
        // Room for one stream buffer: the second flow's data finds it only if the evicted flow's session gave it back.
        var sessions = new TcpSessions(new StreamLimits(Window: 64, OutOfOrder: 64, Depth: 1 << 20, Memory: 2 * (64 + 64)));
        var table = new FlowTable(4, sessions);
        var old = table.Session(Update(table, Frames.Tcp(Attacker, 40_000, Device, 80, TcpFlagsBuilder.SynOnly), 0));
        old.ToServer.Add(1_000, "abc"u8);
        for (int i = 1; i < 4; i++)
        {
            Update(table, Frames.Tcp(Attacker, (ushort)(40_000 + i), Device, 80, TcpFlagsBuilder.SynOnly), i);
        }

        Assert.That(table.Evictions, Is.Zero);
        var next = table.Session(Update(table, Frames.Tcp(Attacker, 40_004, Device, 80, TcpFlagsBuilder.SynOnly), 4));
        Assert.That(table.Evictions, Is.EqualTo(1));
        Assert.That(next, Is.SameAs(old), "taken back from the pool, not made anew");
        Assert.That(next.ToServer.Started, Is.False, "the old flow's stream is forgotten");
        Assert.That(next.ToServer.Add(5_000, "def"u8).Outcome, Is.EqualTo(SegmentOutcome.Reassembled));
        Assert.That(sessions.MemoryExhausted, Is.Zero, "the evicted flow's buffer came back");
    }

    private PacketFlow Update(FlowTable table, byte[] packet, long micros)
    {
        Load(packet, micros);
        return table.Update(_frame, _frame.SrcPort, _frame.DstPort);
    }

    private PacketFlow? UpdateExisting(FlowTable table, byte[] packet, long micros)
    {
        Load(packet, micros);
        return table.UpdateExisting(_frame, _frame.SrcPort, _frame.DstPort);
    }

    // Frame times in microseconds, all well within the flows' timeouts.
    private void Load(byte[] packet, long micros)
    {
        _frame.Load(packet, micros, Direction.ToDevice);
        if (!_frame.Decode())
        {
            throw new InvalidOperationException($"test packet malformed: {_frame.Malformation}");
        }
    }
}
