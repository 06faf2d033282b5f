using System.Text;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Ips;
using KalkiEdge.UnitTests.Ips.Peer;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.UnitTests.Ips.IpsTestSupport;

namespace KalkiEdge.UnitTests.Ips;

public class TcpStreamDirectionTests
{
    private const uint Isn = 4_294_967_290; // wraps within the first bytes

    private static TcpStreamDirection Started(int window = 64, int outOfOrder = 64, long depth = 1 << 20)
    {
        var d = new TcpStreamDirection(window, outOfOrder, depth);
        d.Start(Isn);
        return d;
    }

    private static string Window(TcpStreamDirection d, SegmentResult r) => Encoding.ASCII.GetString(d.Slice(r.WindowStart, r.WindowEnd));

    private static SegmentResult Add(TcpStreamDirection d, int offset, string text) =>
        d.Add(unchecked(Isn + (uint)offset), Encoding.ASCII.GetBytes(text));

    [Test]
    public void In_order_segments_across_the_sequence_wrap_form_one_window()
    {
        var d = Started();
        Add(d, 0, "GET /ad");
        var r = Add(d, 7, "min HTTP");
        Assert.That(Window(d, r), Is.EqualTo("GET /admin HTTP"));
        Assert.That(Encoding.ASCII.GetString(d.Slice(r.PacketStart, r.PacketEnd)), Is.EqualTo("min HTTP"));
    }

    [Test]
    public void A_segment_beyond_a_gap_is_inspected_in_its_own_run_until_the_gap_is_filled()
    {
        var d = Started();
        var ahead = Add(d, 4, "/admin");
        Assert.That(Window(d, ahead), Is.EqualTo("/admin"));
        var fill = Add(d, 0, "GET ");
        Assert.That(Window(d, fill), Is.EqualTo("GET /admin"));
    }

    [Test]
    public void The_first_bytes_win_an_overlap_and_a_different_overlap_is_reported()
    {
        var d = Started();
        Add(d, 0, "GET /xxxxx");
        var evasion = Add(d, 4, "/admin");
        Assert.That(evasion.OverlapDifferent, Is.True);
        Assert.That(Encoding.ASCII.GetString(d.Slice(evasion.PacketStart, evasion.PacketEnd)), Is.EqualTo("/xxxxx"));

        var retransmission = Add(d, 0, "GET /xxxxx");
        Assert.That(retransmission.OverlapDifferent, Is.False, "a retransmission of the same bytes is silent");

        var ahead = Add(d, 20, "abcd");
        var overAhead = Add(d, 18, "..zzzz");
        Assert.That(overAhead.OverlapDifferent, Is.True, "overlaps in the out-of-order space are compared too");
        Assert.That(Window(d, overAhead), Is.EqualTo("..abcd"));
        Assert.That(ahead.Outcome, Is.EqualTo(SegmentOutcome.Reassembled));
    }

    [Test]
    public void A_one_byte_segment_at_the_last_byte_held_is_a_keep_alive()
    {
        var d = Started();
        Add(d, 0, "hello");
        Assert.That(Add(d, 4, "X").Outcome, Is.EqualTo(SegmentOutcome.KeepAlive));
    }

    [Test]
    public void Segments_too_far_ahead_or_too_old_are_not_stored_and_memory_stays_one_window_plus_the_out_of_order_space()
    {
        var d = Started(window: 64, outOfOrder: 64);
        Assert.That(Add(d, 128, "far").Outcome, Is.EqualTo(SegmentOutcome.BeyondBuffer));
        Assert.That(Add(d, 126, "edge").Truncated, Is.True);
        for (int i = 0; i < 100; i++)
        {
            Add(d, i * 10, "0123456789");
        }

        var r = Add(d, 1000, "tail");
        Assert.That(r.WindowEnd - r.WindowStart, Is.EqualTo(64), "the window is bounded");
        Assert.That(Add(d, 0, "0123456789").Outcome, Is.EqualTo(SegmentOutcome.BeforeWindow));
    }

    [Test]
    public void Past_the_depth_the_direction_is_no_longer_reassembled()
    {
        var d = Started(depth: 20);
        Add(d, 0, "0123456789");
        Add(d, 10, "0123456789");
        Assert.That(d.DepthReached, Is.False);
        Add(d, 20, "x");
        Assert.That(d.DepthReached, Is.True);
        Assert.That(Add(d, 21, "more").Outcome, Is.EqualTo(SegmentOutcome.DepthReached));
    }

    [Test]
    public void Random_cuts_in_random_order_always_rebuild_the_stream([Range(1, 20)] int seed)
    {
        var random = new Random(seed);
        var text = new string([.. Enumerable.Range(0, 500).Select(_ => (char)random.Next('a', 'z' + 1))]);
        var cuts = new List<(int, string)>();
        for (int at = 0; at < text.Length;)
        {
            int n = random.Next(1, 40);
            cuts.Add((at, text.Substring(at, Math.Min(n, text.Length - at))));
            at += n;
        }

        var d = Started(window: 2560, outOfOrder: 2560);
        SegmentResult last = default;
        foreach (var (at, piece) in cuts.OrderBy(_ => random.Next()))
        {
            last = Add(d, at, piece);
        }

        var full = Add(d, text.Length, "!");
        Assert.That(Window(d, full), Is.EqualTo(text + "!"));
        Assert.That(last.Outcome, Is.EqualTo(SegmentOutcome.Reassembled));
    }

    [Test]
    public void Rules_report_whether_they_match_streams_or_packets()
    {
        var (rules, _) = Parse("""
            alert tcp any any -> any 80 (content:"GET"; sid:1;)
            alert tcp any any -> any 80 (flags:PA; content:"GET"; sid:2;)
            alert udp any any -> any 53 (content:"x"; sid:3;)
            alert tcp any any -> any 80 (flags:S; sid:4;)
            alert ip any any -> any any (content:"x"; sid:5;)
            """);
        Assert.That(rules.Select(r => r.Inspection), Is.EqualTo(new[]
        {
            RuleInspection.StreamOrPacket, RuleInspection.Packet, RuleInspection.Packet, RuleInspection.Packet, RuleInspection.StreamOrPacket,
        }));
    }

    [Test]
    public void A_drop_rule_drops_the_rest_of_its_flow_and_the_depth_and_stray_segments_are_counted()
    {
        var c = new PeerCapture();
        var web = c.Conversation("203.0.113.66", 40000, "192.0.2.10", 80).Handshake();
        web.ClientSendsSegmented("GET /../../etc/passwd HTTP/1.1\r\n\r\n", SegmentationStrategy.All.First(s => s.Name == "tcp_seg 1"));
        int after = web.ClientSends("GET / HTTP/1.1\r\n\r\n");
        var deep = c.Conversation("203.0.113.66", 40001, "192.0.2.10", 80).Handshake();
        for (int i = 0; i < 3; i++)
        {
            deep.ClientSends(new string('a', 100));
        }

        deep.ClientSends("GET /etc/passwd");
        c.Conversation("203.0.113.66", 40002, "192.0.2.10", 80).Handshake();
        c.Tcp("203.0.113.66", 40002, "192.0.2.10", 80, TcpFlagsValue.P | TcpFlagsValue.A, 2_000_000_000, 1, "stray");

        var h = Harness("ips(rules: t.rules, stream-depth: 256, stream-window: 64, stream-out-of-order: 64)", ("t.rules", "drop tcp any any -> any 80 (content:\"etc/passwd\"; sid:7;)\n"));
        var verdicts = c.Packets.Select(p => { h.NowMicros = p.TimeMicros; return h.Run(p.Bytes, Direction.ToDevice); }).ToList();
        var ips = (IpsElement)h.Chain.Elements[0];
        Assert.Multiple(() =>
        {
            Assert.That(verdicts[after - 1], Is.EqualTo(Verdict.Drop), "the flow stays dropped");
            Assert.That(h.Sink.OfType(AlertTypes.Ips).Count(), Is.EqualTo(2), "the split request, and the packet past the depth");
            Assert.That(ips.StreamDepthReached, Is.EqualTo(1));
            Assert.That(ips.StreamSegmentsNotReassembled, Is.EqualTo(1));
        });
    }
}
