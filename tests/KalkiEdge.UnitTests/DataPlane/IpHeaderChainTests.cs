using System.Buffers.Binary;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.UnitTests.Umboxes.AppTestSupport;

namespace KalkiEdge.UnitTests.DataPlane;

/// <summary>
/// The decoder reaches the transport header behind IP extension headers, VLAN stacks and IPv4 options, so no
/// TCP/UDP defense can be bypassed by an extra header; chains it cannot walk, and UDP lengths that lie, are malformed.
/// </summary>
public class IpHeaderChainTests
{
    private const int V6NextHeader = 14 + 6;
    private const int V6PayloadLength = 14 + 4;
    private const int V6End = 14 + 40;
    private const byte Tcp = 6;
    private const byte Udp = 17;

    // Raw extension headers; the first byte (next header) is filled in by Insert.
    private static byte[] DestinationOptions() => [0, 0, 1, 4, 0, 0, 0, 0];

    private static byte[] HopByHop() => [0, 0, 1, 4, 0, 0, 0, 0];

    private static byte[] Routing(byte segmentsLeft = 0, byte type = 0) => [0, 0, type, segmentsLeft, 0, 0, 0, 0];

    private static byte[] Fragment(int offsetBytes, bool more) => [0, 0, (byte)(offsetBytes >> 8), (byte)((offsetBytes & 0xF8) | (more ? 1 : 0)), 0, 0, 0, 7];

    private static byte[] Ah() => [0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD];

    /// <summary>Inserts <paramref name="header"/> (with type <paramref name="type"/>) right after the IPv6 header.</summary>
    private static byte[] Insert(byte[] frame, byte type, byte[] header)
    {
        var h = (byte[])header.Clone();
        h[0] = frame[V6NextHeader];
        var result = new byte[frame.Length + h.Length];
        frame.AsSpan(0, V6End).CopyTo(result);
        h.CopyTo(result, V6End);
        frame.AsSpan(V6End).CopyTo(result.AsSpan(V6End + h.Length));
        result[V6NextHeader] = type;
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(V6PayloadLength), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(V6PayloadLength)) + h.Length));
        return result;
    }

    private static byte[] HttpLoginV6() => HttpV6("2001:db8::66", 80, Request("GET", "/", Basic("admin:admin")));

    private static Frame Decoded(byte[] bytes)
    {
        var f = new Frame();
        f.Load(bytes, 0, Direction.ToDevice);
        f.Decode();
        return f;
    }

    [Test]
    public void Tcp_behind_each_IPv6_extension_header_is_decoded_with_its_ports()
    {
        var plain = HttpLoginV6();
        var chains = new Dictionary<string, byte[]>
        {
            ["destination options"] = Insert(plain, 60, DestinationOptions()),
            ["hop-by-hop"] = Insert(plain, 0, HopByHop()),
            ["routing (no segments left)"] = Insert(plain, 43, Routing()),
            ["atomic fragment"] = Insert(plain, 44, Fragment(0, more: false)),
            ["first fragment"] = Insert(plain, 44, Fragment(0, more: true)),
            ["authentication header"] = Insert(plain, 51, Ah()),
            ["hop-by-hop, destination options, routing, AH"] = Insert(Insert(Insert(Insert(plain, 51, Ah()), 43, Routing()), 60, DestinationOptions()), 0, HopByHop()),
        };
        foreach (var (name, bytes) in chains)
        {
            var f = Decoded(bytes);
            Assert.Multiple(() =>
            {
                Assert.That(f.Malformation, Is.Null, name);
                Assert.That(f.IsTcp, Is.True, name);
                Assert.That(f.DstPort, Is.EqualTo(80), name);
                Assert.That(System.Text.Encoding.ASCII.GetString(f.Payload), Does.StartWith("GET / HTTP/1.1"), name);
            });
        }
    }

    [Test]
    public void The_firewall_deny_rule_the_login_guard_and_the_ips_see_tcp_behind_a_destination_options_header()
    {
        var frame = Insert(HttpLoginV6(), 60, DestinationOptions());

        var firewall = new ChainHarness("firewall(default: allow, rules: [{action: deny, proto: tcp, lport: 80}])");
        Assert.That(firewall.Run(frame), Is.EqualTo(Verdict.Drop));

        var guard = new ChainHarness("http-auth-guard(defaults: [\"admin:admin\"], block: true)");
        Assert.That(guard.Run(frame), Is.EqualTo(Verdict.Drop));
        Assert.That(guard.Sink.OfType(AlertTypes.DefaultLogin).Count(), Is.EqualTo(1));

        var ips = Ips.IpsTestSupport.Harness("ips(rules: t.rules)", ("t.rules", "drop tcp any any -> any 80 (msg:\"web login\"; content:\"Authorization\"; sid:7;)\n"));
        Assert.That(ips.Run(frame), Is.EqualTo(Verdict.Drop));
        Assert.That(ips.Sink.OfType(AlertTypes.Ips).Single().Sid, Is.EqualTo(7));
    }

    [Test]
    public void The_firewall_sees_udp_behind_a_hop_by_hop_header()
    {
        var frame = Insert(Umboxes.NetTestKit.Udp6("2001:db8::66", 5000, "2001:db8::10", 53), 0, HopByHop());
        var firewall = new ChainHarness("firewall(default: allow, rules: [{action: deny, proto: udp, lport: 53}])");
        Assert.That(firewall.Run(frame), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Esp_is_opaque_and_later_fragments_carry_the_protocol_without_ports()
    {
        var esp = HttpLoginV6();
        esp[V6NextHeader] = 50;
        var f = Decoded(esp);
        Assert.That((f.Malformation, f.IpProtocol, f.IsTcp), Is.EqualTo(((string?)null, (byte)50, false)));

        var later = Decoded(Insert(HttpLoginV6(), 44, Fragment(1232, more: false)));
        Assert.Multiple(() =>
        {
            Assert.That(later.Malformation, Is.Null);
            Assert.That(later.IsLaterFragment, Is.True);
            Assert.That(later.IpProtocol, Is.EqualTo(Tcp));
            Assert.That(later.IsTcp, Is.False, "no transport header in a later fragment");
        });
    }

    [TestCase("truncated")]
    [TestCase("too many headers")]
    [TestCase("hop-by-hop not first")]
    [TestCase("type 0 routing with segments left")]
    [TestCase("fragment overlapping the tcp header")]
    [TestCase("length beyond the payload")]
    public void An_extension_header_chain_that_cannot_be_walked_is_malformed_and_dropped(string how)
    {
        var plain = HttpLoginV6();
        byte[] bytes = how switch
        {
            "truncated" => Truncated(Insert(plain, 60, DestinationOptions())),
            "too many headers" => Enumerable.Range(0, 9).Aggregate(plain, (b, _) => Insert(b, 60, DestinationOptions())),
            "hop-by-hop not first" => Insert(Insert(plain, 0, HopByHop()), 60, DestinationOptions()),
            "type 0 routing with segments left" => Insert(plain, 43, Routing(segmentsLeft: 1)),
            "fragment overlapping the tcp header" => Insert(plain, 44, Fragment(8, more: false)),
            _ => WithLengthByte(Insert(plain, 60, DestinationOptions()), 200),
        };
        Assert.That(Decoded(bytes).Malformation, Is.Not.Null, how);
        var firewall = new ChainHarness("firewall(default: allow)");
        Assert.That(firewall.Run(bytes), Is.EqualTo(Verdict.Drop), how);

        static byte[] Truncated(byte[] b)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(V6PayloadLength), 4);
            return b[..(V6End + 4)];
        }

        static byte[] WithLengthByte(byte[] b, byte length)
        {
            b[V6End + 1] = length;
            return b;
        }
    }

    [Test]
    public void Ipv4_authentication_header_is_walked_to_the_tcp_header()
    {
        var plain = Frames.Tcp(Frames.AttackerIp, 40000, Frames.DeviceIp, 23, TcpFlagsBuilder.SynOnly);
        var ah = Ah();
        ah[0] = Tcp;
        var bytes = new byte[plain.Length + ah.Length];
        plain.AsSpan(0, 34).CopyTo(bytes);
        ah.CopyTo(bytes, 34);
        plain.AsSpan(34).CopyTo(bytes.AsSpan(34 + ah.Length));
        bytes[14 + 9] = 51;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14 + 2), (ushort)(bytes.Length - 14));

        var firewall = new ChainHarness("firewall(default: allow, rules: [{action: deny, proto: tcp, lport: 23}])");
        Assert.That(firewall.Run(bytes), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Ipv4_options_are_skipped_by_the_header_length()
    {
        var plain = Frames.Tcp(Frames.AttackerIp, 40000, Frames.DeviceIp, 23, TcpFlagsBuilder.SynOnly);
        byte[] options = [1, 1, 1, 0]; // NOP, NOP, NOP, end of options
        var bytes = new byte[plain.Length + options.Length];
        plain.AsSpan(0, 34).CopyTo(bytes);
        options.CopyTo(bytes, 34);
        plain.AsSpan(34).CopyTo(bytes.AsSpan(38));
        bytes[14] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14 + 2), (ushort)(bytes.Length - 14));
        var f = Decoded(bytes);
        Assert.That((f.Malformation, f.DstPort), Is.EqualTo(((string?)null, (ushort)23)));

        bytes[14] = 0x4F; // a 60-byte header: longer than the whole packet
        Assert.That(Decoded(bytes).Malformation, Does.Contain("bad IPv4 lengths"));
        bytes[14] = 0x44; // 16 bytes: shorter than the minimum IPv4 header
        Assert.That(Decoded(bytes).Malformation, Does.Contain("bad IPv4 lengths"));
    }

    [Test]
    public void An_ipv4_tcp_fragment_rewriting_the_tcp_header_is_malformed()
    {
        var bytes = Frames.Tcp(Frames.AttackerIp, 40000, Frames.DeviceIp, 23, TcpFlagsBuilder.SynOnly);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14 + 6), 1); // fragment offset 8 bytes
        Assert.That(Decoded(bytes).Malformation, Does.Contain("overlaps the TCP header"));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14 + 6), 3); // 24 bytes: past the TCP header
        Assert.That(Decoded(bytes).IsLaterFragment, Is.True);
    }

    [TestCase(0xFFFF, false)]
    [TestCase(7, false)]
    [TestCase(0, false)]
    [TestCase(8 + 3 + 1, false)]
    [TestCase(8 + 3, true)]
    [TestCase(8 + 1, true)]
    public void Udp_length_must_be_at_least_8_and_fit_the_ip_payload(int udpLength, bool valid)
    {
        var bytes = Frames.Udp(Frames.AttackerIp, 5000, Frames.DeviceIp, 53, "abc");
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14 + 20 + 4), (ushort)udpLength);
        var f = Decoded(bytes);
        Assert.That(f.Malformation is null, Is.EqualTo(valid), f.Malformation);
        if (valid)
        {
            Assert.That(f.PayloadLength, Is.EqualTo(udpLength - 8), "the payload is what the UDP length says, as the receiver sees it");
        }

        var firewall = new ChainHarness("firewall(default: allow)");
        Assert.That(firewall.Run(bytes), Is.EqualTo(valid ? Verdict.Forward : Verdict.Drop));
    }

    [Test]
    public void A_first_ipv4_fragment_may_carry_the_whole_datagrams_udp_length()
    {
        var bytes = Frames.Udp(Frames.AttackerIp, 5000, Frames.DeviceIp, 53, "abc");
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14 + 20 + 4), 3000);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14 + 6), 0x2000); // more fragments
        var f = Decoded(bytes);
        Assert.That((f.Malformation, f.IsUdp, f.DstPort), Is.EqualTo(((string?)null, true, (ushort)53)));
    }

    [Test]
    public void Vlan_stacks_of_up_to_two_tags_are_walked_and_a_third_is_malformed()
    {
        var plain = Frames.Tcp(Frames.AttackerIp, 40000, Frames.DeviceIp, 23, TcpFlagsBuilder.SynOnly);
        var oneTag = Tag(plain, 0x8100);
        var qinq = Tag(oneTag, 0x88A8);
        Assert.That(Decoded(oneTag).DstPort, Is.EqualTo(23));
        Assert.That(Decoded(qinq).DstPort, Is.EqualTo(23));
        Assert.That(new ChainHarness("firewall(default: allow, rules: [{action: deny, proto: tcp, lport: 23}])").Run(qinq), Is.EqualTo(Verdict.Drop));
        Assert.That(Decoded(Tag(qinq, 0x8100)).Malformation, Does.Contain("VLAN"));
        Assert.That(Decoded(oneTag[..16]).Malformation, Does.Contain("VLAN"), "a tag cut short");
    }

    [Test]
    public void A_stack_with_the_legacy_0x9100_outer_tag_is_walked_and_counts_toward_the_limit()
    {
        var plain = Frames.Tcp(Frames.AttackerIp, 40000, Frames.DeviceIp, 23, TcpFlagsBuilder.SynOnly);
        var legacy = Tag(Tag(plain, 0x8100), 0x9100);
        Assert.That((Decoded(legacy).Malformation, Decoded(legacy).DstPort), Is.EqualTo(((string?)null, (ushort)23)));
        Assert.That(new ChainHarness("firewall(default: allow, rules: [{action: deny, proto: tcp, lport: 23}])").Run(legacy), Is.EqualTo(Verdict.Drop));
        Assert.That(Decoded(Tag(legacy, 0x9100)).Malformation, Does.Contain("VLAN"), "a third tag, whatever its TPID");
        Assert.That(Decoded(Tag(plain, 0x9100)[..16]).Malformation, Does.Contain("VLAN"), "a 0x9100 tag cut short");
    }

    [TestCase((byte)4, TestName = "IPv4 in IPv4 is dropped, not forwarded unseen")]
    [TestCase((byte)41, TestName = "IPv6 in IPv4 is dropped, not forwarded unseen")]
    [TestCase((byte)47, TestName = "GRE is dropped, not forwarded unseen")]
    [TestCase((byte)97, TestName = "EtherIP is dropped, not forwarded unseen")]
    public void Tunnelled_packets_are_malformed(byte protocol)
    {
        // The inner packet is a telnet SYN the firewall denies; inside a tunnel the chain could not see its port.
        var inner = Frames.Tcp(Frames.AttackerIp, 40000, Frames.DeviceIp, 23, TcpFlagsBuilder.SynOnly)[14..];
        var outer = Frames.Udp(Frames.AttackerIp, 1, Frames.DeviceIp, 2, "")[..(14 + 20)];
        var bytes = outer.Concat(protocol == 47 ? new byte[] { 0, 0, 0x08, 0 } : []).Concat(inner).ToArray();
        bytes[14 + 9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14 + 2), (ushort)(bytes.Length - 14));
        var f = Decoded(bytes);
        Assert.That(f.Malformation, Does.StartWith("tunnelled packet"));
        Assert.That(new ChainHarness("firewall(default: allow, rules: [{action: deny, proto: tcp, lport: 23}])").Run(bytes), Is.EqualTo(Verdict.Drop));

        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14 + 6), 100); // a later fragment of the tunnel
        Assert.That(Decoded(bytes).Malformation, Does.StartWith("tunnelled packet"));
    }

    [Test]
    public void A_tunnel_behind_an_IPv6_extension_header_is_malformed()
    {
        var plain = HttpLoginV6();
        plain[V6NextHeader] = 41;
        Assert.That(Decoded(Insert(plain, 60, DestinationOptions())).Malformation, Does.StartWith("tunnelled packet"));
    }

    [TestCase((ushort)0x8847)]
    [TestCase((ushort)0x8848)]
    [TestCase((ushort)0x8864)]
    public void Mpls_and_PPPoE_frames_are_malformed_rather_than_forwarded_unopened(ushort etherType)
    {
        var bytes = Frames.Tcp(Frames.AttackerIp, 40000, Frames.DeviceIp, 23, TcpFlagsBuilder.SynOnly);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(12), etherType);
        Assert.That(Decoded(bytes).Malformation, Does.StartWith("MPLS or PPPoE"));
        Assert.That(new ChainHarness("firewall(default: allow)").Run(bytes), Is.EqualTo(Verdict.Drop));
    }

    private static byte[] Tag(byte[] frame, ushort tpid) => Frames.VlanTagged(frame, tpid);

    [Test]
    public void Decoding_an_extension_header_chain_allocates_nothing()
    {
        var bytes = Insert(Insert(HttpLoginV6(), 60, DestinationOptions()), 0, HopByHop());
        var f = new Frame();
        f.Load(bytes, 0, Direction.ToDevice);
        f.Decode();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            f.Load(bytes, i, Direction.ToDevice);
            f.Decode();
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
