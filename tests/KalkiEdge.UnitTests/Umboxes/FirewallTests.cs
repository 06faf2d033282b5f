using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.NetTestKit;

namespace KalkiEdge.UnitTests.Umboxes;

public class FirewallTests
{
    private const string Device = Frames.DeviceIp;
    private const string Cloud = Frames.CloudIp;
    private const string Attacker = Frames.AttackerIp;

    private static byte[] OutTcp(string remote, ushort rport, TcpFlagsBuilder flags, ushort lport = 40000) =>
        Frames.Tcp(Device, lport, remote, rport, flags, "", Frames.DeviceMac, Frames.GatewayMac);

    private static byte[] InTcp(string remote, ushort rport, ushort lport, TcpFlagsBuilder flags) =>
        Frames.Tcp(remote, rport, Device, lport, flags);

    private static byte[] OutUdp(string remote, ushort rport, ushort lport = 50000) =>
        Frames.Udp(Device, lport, remote, rport, "q", Frames.DeviceMac, Frames.GatewayMac);

    private static byte[] InUdp(string remote, ushort rport, ushort lport) => Frames.Udp(remote, rport, Device, lport, "r");

    private static Firewall FirewallOf(ChainHarness h) => (Firewall)h.Chain.Elements[0];

    [Test]
    public void First_matching_rule_wins()
    {
        var denyFirst = new ChainHarness("firewall(default: allow, rules: [{action: deny, remote: 198.51.100.20}, {action: allow, proto: tcp}])");
        Assert.That(denyFirst.Run(InTcp(Cloud, 443, 40000, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Drop));
        Assert.That(denyFirst.Run(InTcp(Attacker, 443, 40000, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward));

        var allowFirst = new ChainHarness("firewall(default: drop, rules: [{action: allow, proto: tcp}, {action: deny, remote: 198.51.100.20}])");
        Assert.That(allowFirst.Run(InTcp(Cloud, 443, 40000, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward));
        Assert.That(allowFirst.Run(InUdp(Cloud, 53, 5000)), Is.EqualTo(Verdict.Drop), "udp matches no allow rule: default drop");
    }

    [Test]
    public void Default_applies_when_no_rule_matches()
    {
        var drop = new ChainHarness("firewall(default: drop, rules: [{action: allow, proto: udp}])");
        Assert.That(drop.Run(InTcp(Cloud, 80, 8080, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Drop));
        var allow = new ChainHarness("firewall(default: allow, rules: [{action: deny, proto: udp}])");
        Assert.That(allow.Run(InTcp(Cloud, 80, 8080, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward));
        Assert.That(allow.Run(InUdp(Cloud, 53, 5000)), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Default_is_drop_when_not_given()
    {
        var h = new ChainHarness("firewall");
        Assert.That(h.Run(InTcp(Cloud, 80, 8080, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Direction_in_is_network_to_device_and_out_is_device_to_network()
    {
        var h = new ChainHarness("firewall(default: drop, rules: [{action: allow, dir: out, proto: udp}])");
        Assert.That(h.Run(OutUdp(Cloud, 53), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(InUdp(Cloud, 53, 50000), Direction.ToDevice), Is.EqualTo(Verdict.Drop), "stateless: the reply is not let in");

        var inbound = new ChainHarness("firewall(default: drop, rules: [{action: allow, dir: in, proto: tcp, lport: 22}])");
        Assert.That(inbound.Run(InTcp(Attacker, 50000, 22, TcpFlagsBuilder.SynOnly), Direction.ToDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(inbound.Run(OutTcp(Attacker, 22, TcpFlagsBuilder.SynOnly, lport: 50000), Direction.FromDevice), Is.EqualTo(Verdict.Drop), "device → port 22 is 'out', and rport, not lport");
    }

    [TestCase("198.51.100.0/24", Cloud, true)]
    [TestCase("198.51.100.0/24", Attacker, false)]
    [TestCase("198.51.100.0/25", "198.51.100.127", true)]
    [TestCase("198.51.100.0/25", "198.51.100.128", false)]
    [TestCase("198.51.100.128/25", "198.51.100.128", true)]
    [TestCase("198.51.100.20", Cloud, true)]
    [TestCase("198.51.100.20", "198.51.100.21", false)]
    [TestCase("[192.0.2.0/24, 203.0.113.64/26]", Attacker, true)]
    [TestCase("[192.0.2.0/24, 203.0.113.0/26]", Attacker, false)]
    [TestCase("any", Attacker, true)]
    public void Remote_address_matches_by_cidr(string remote, string address, bool matches)
    {
        var h = new ChainHarness($"firewall(default: drop, rules: [{{action: allow, dir: in, remote: {remote}}}])");
        Assert.That(h.Run(InUdp(address, 53, 5000)), Is.EqualTo(matches ? Verdict.Forward : Verdict.Drop));
    }

    [Test]
    public void Remote_address_of_an_outbound_packet_is_its_destination()
    {
        var h = new ChainHarness("firewall(default: drop, rules: [{action: allow, remote: 198.51.100.0/24}])");
        Assert.That(h.Run(OutUdp(Cloud, 53), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(OutUdp(Attacker, 53), Direction.FromDevice), Is.EqualTo(Verdict.Drop));
    }

    [TestCase((ushort)79, false)]
    [TestCase((ushort)80, true)]
    [TestCase((ushort)81, false)]
    [TestCase((ushort)7999, false)]
    [TestCase((ushort)8000, true)]
    [TestCase((ushort)8040, true)]
    [TestCase((ushort)8080, true)]
    [TestCase((ushort)8081, false)]
    public void Remote_ports_match_numbers_and_inclusive_ranges(ushort port, bool matches)
    {
        var h = new ChainHarness("firewall(default: drop, rules: [{action: allow, dir: out, proto: tcp, rport: [80, 8000-8080]}])");
        Assert.That(h.Run(OutTcp(Cloud, port, TcpFlagsBuilder.SynOnly), Direction.FromDevice), Is.EqualTo(matches ? Verdict.Forward : Verdict.Drop));
    }

    [Test]
    public void Local_port_range_selects_the_device_side_port()
    {
        var h = new ChainHarness("firewall(default: drop, rules: [{action: allow, dir: in, proto: tcp, lport: 8000-8080}])");
        Assert.That(h.Run(InTcp(Attacker, 8000, 443, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Drop), "remote port 8000 is not the device port");
        Assert.That(h.Run(InTcp(Attacker, 443, 8000, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward));
    }

    [Test]
    public void Protocols_select_their_packets()
    {
        var h = new ChainHarness("firewall(default: drop, rules: [{action: allow, proto: icmp}, {action: allow, proto: arp}])");
        Assert.That(h.Run(Frames.IcmpEcho(Cloud, Device)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Frames.ArpReply(Frames.GatewayMac, "192.0.2.1", Frames.DeviceMac, Device)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(InUdp(Cloud, 53, 5000)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(InTcp(Cloud, 80, 5000, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Drop));

        var ipOnly = new ChainHarness("firewall(default: drop, rules: [{action: allow, proto: ip}])");
        Assert.That(ipOnly.Run(InUdp(Cloud, 53, 5000)), Is.EqualTo(Verdict.Forward));
        Assert.That(ipOnly.Run(Frames.ArpReply(Frames.GatewayMac, "192.0.2.1", Frames.DeviceMac, Device)), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Arp_rules_match_the_remote_protocol_address()
    {
        var h = new ChainHarness("firewall(default: drop, rules: [{action: allow, proto: arp, remote: 192.0.2.1}])");
        Assert.That(h.Run(Frames.ArpReply(Frames.GatewayMac, "192.0.2.1", Frames.DeviceMac, Device)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Frames.ArpReply(Frames.GatewayMac, "192.0.2.99", Frames.DeviceMac, Device)), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Frames_that_are_neither_ip_nor_arp_follow_the_default()
    {
        var drop = new ChainHarness("firewall(default: drop, rules: [{action: allow, proto: any}])");
        Assert.That(drop.Run(Lldp()), Is.EqualTo(Verdict.Drop));
        var allow = new ChainHarness("firewall(default: allow, rules: [{action: deny, proto: any}])");
        Assert.That(allow.Run(Lldp()), Is.EqualTo(Verdict.Forward));
    }

    [Test]
    public void Stateful_lets_replies_of_allowed_flows_in_and_drops_unsolicited_inbound()
    {
        var h = new ChainHarness("firewall(default: drop, stateful: true, rules: [{action: allow, dir: out, proto: tcp, rport: 443}])");
        Assert.That(h.Run(OutTcp(Cloud, 443, TcpFlagsBuilder.SynOnly, 40000), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(InTcp(Cloud, 443, 40000, TcpFlagsBuilder.SynAck)), Is.EqualTo(Verdict.Forward), "reply of the allowed flow");
        Assert.That(h.Run(InTcp(Cloud, 443, 40000, TcpFlagsBuilder.PshAck)), Is.EqualTo(Verdict.Forward));

        Assert.That(h.Run(InTcp(Cloud, 443, 40001, TcpFlagsBuilder.SynAck)), Is.EqualTo(Verdict.Drop), "other device port");
        Assert.That(h.Run(InTcp(Attacker, 443, 40000, TcpFlagsBuilder.SynAck)), Is.EqualTo(Verdict.Drop), "other remote host");
        Assert.That(h.Run(InTcp(Cloud, 444, 40000, TcpFlagsBuilder.SynAck)), Is.EqualTo(Verdict.Drop), "other remote port");
        Assert.That(h.Run(InUdp(Cloud, 443, 40000)), Is.EqualTo(Verdict.Drop), "other protocol");
        Assert.That(FirewallOf(h).Flows!.Count, Is.EqualTo(1));
    }

    [Test]
    public void Stateful_udp_reply_is_let_in_but_the_same_reply_without_state_is_not()
    {
        const string rules = "rules: [{action: allow, dir: out, proto: udp, rport: 53}]";
        var stateful = new ChainHarness($"firewall(default: drop, stateful: true, {rules})");
        var stateless = new ChainHarness($"firewall(default: drop, {rules})");
        foreach (var h in new[] { stateful, stateless })
        {
            Assert.That(h.Run(OutUdp(Cloud, 53, 50000), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        }

        Assert.That(stateful.Run(InUdp(Cloud, 53, 50000)), Is.EqualTo(Verdict.Forward));
        Assert.That(stateless.Run(InUdp(Cloud, 53, 50000)), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Inbound_flow_allowed_by_rule_lets_the_device_answer()
    {
        var h = new ChainHarness("firewall(default: drop, stateful: true, rules: [{action: allow, dir: in, proto: tcp, lport: 22}])");
        Assert.That(h.Run(InTcp(Cloud, 50000, 22, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(OutTcp(Cloud, 50000, TcpFlagsBuilder.SynAck, lport: 22), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(OutTcp(Cloud, 50001, TcpFlagsBuilder.SynOnly, lport: 22), Direction.FromDevice), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Stateful_icmp_lets_the_pinged_host_answer_and_nobody_else()
    {
        var h = new ChainHarness("firewall(default: drop, stateful: true, rules: [{action: allow, dir: out, proto: icmp}])");
        Assert.That(h.Run(Frames.IcmpEcho(Device, Cloud, Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Frames.IcmpEcho(Cloud, Device)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Frames.IcmpEcho(Attacker, Device)), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Ipv6_addresses_match_ipv6_blocks_and_flows_track_them()
    {
        var h = new ChainHarness("firewall(default: drop, stateful: true, rules: [{action: allow, dir: out, proto: udp, remote: 2001:db8:c10d::/48, rport: 5683}])");
        Assert.That(h.Run(Udp6("2001:db8:1::10", 40000, "2001:db8:c10d::5", 5683), Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Udp6("2001:db8:1::10", 40000, "2001:db8:c10e::5", 5683), Direction.FromDevice), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Udp6("2001:db8:c10d::5", 5683, "2001:db8:1::10", 40000)), Is.EqualTo(Verdict.Forward), "reply of the tracked v6 flow");
        Assert.That(h.Run(Udp6("2001:db8:c10d::6", 5683, "2001:db8:1::10", 40000)), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Rst_ends_a_flow_at_once()
    {
        var h = new ChainHarness("firewall(default: drop, stateful: true, rules: [{action: allow, dir: out, proto: tcp}])");
        h.Run(OutTcp(Cloud, 443, TcpFlagsBuilder.SynOnly), Direction.FromDevice);
        Assert.That(h.Run(InTcp(Cloud, 443, 40000, new TcpFlagsBuilder(Rst: true, Ack: true))), Is.EqualTo(Verdict.Forward), "the RST itself belongs to the flow");
        Assert.That(h.Run(InTcp(Cloud, 443, 40000, TcpFlagsBuilder.AckOnly)), Is.EqualTo(Verdict.Drop));
        Assert.That(FirewallOf(h).Flows!.Closed, Is.EqualTo(1));
        Assert.That(FirewallOf(h).Flows!.Count, Is.Zero);
    }

    [Test]
    public void Fin_from_both_sides_ends_a_flow_after_the_linger()
    {
        var h = new ChainHarness("firewall(default: drop, stateful: true, rules: [{action: allow, dir: out, proto: tcp}])");
        var fin = new TcpFlagsBuilder(Fin: true, Ack: true);
        h.Run(OutTcp(Cloud, 443, TcpFlagsBuilder.SynOnly), Direction.FromDevice);
        h.Run(OutTcp(Cloud, 443, fin), Direction.FromDevice);
        Assert.That(h.Run(InTcp(Cloud, 443, 40000, fin)), Is.EqualTo(Verdict.Forward));
        h.NowMicros += Second / 2;
        Assert.That(h.Run(InTcp(Cloud, 443, 40000, TcpFlagsBuilder.AckOnly)), Is.EqualTo(Verdict.Forward), "last ACK within the linger");
        h.NowMicros += 2 * Second;
        Assert.That(h.Run(InTcp(Cloud, 443, 40000, TcpFlagsBuilder.AckOnly)), Is.EqualTo(Verdict.Drop), "after FIN/FIN and the linger the flow is gone");
        Assert.That(FirewallOf(h).Flows!.Closed, Is.EqualTo(1));
    }

    [Test]
    public void A_fin_from_one_side_keeps_the_flow_open()
    {
        var h = new ChainHarness("firewall(default: drop, stateful: true, rules: [{action: allow, dir: out, proto: tcp}])");
        h.Run(OutTcp(Cloud, 443, TcpFlagsBuilder.SynOnly), Direction.FromDevice);
        h.Run(OutTcp(Cloud, 443, new TcpFlagsBuilder(Fin: true, Ack: true)), Direction.FromDevice);
        h.NowMicros += 10 * Second;
        Assert.That(h.Run(InTcp(Cloud, 443, 40000, TcpFlagsBuilder.PshAck)), Is.EqualTo(Verdict.Forward), "half-closed: the server may still send");
    }

    [Test]
    public void Idle_flows_time_out_in_frame_time()
    {
        var h = new ChainHarness("firewall(default: drop, stateful: true, flow-timeout: 30s, rules: [{action: allow, dir: out, proto: udp}])");
        h.Run(OutUdp(Cloud, 53, 50000), Direction.FromDevice);
        h.NowMicros += 29 * Second;
        Assert.That(h.Run(InUdp(Cloud, 53, 50000)), Is.EqualTo(Verdict.Forward), "29 s idle: alive, and refreshed");
        h.NowMicros += 29 * Second;
        Assert.That(h.Run(InUdp(Cloud, 53, 50000)), Is.EqualTo(Verdict.Forward));
        h.NowMicros += 30 * Second;
        Assert.That(h.Run(InUdp(Cloud, 53, 50000)), Is.EqualTo(Verdict.Drop), "30 s idle: expired");
        Assert.That(FirewallOf(h).Flows!.Expirations, Is.EqualTo(1));
    }

    [Test]
    public void Flow_table_stays_bounded_under_100k_distinct_flows_and_counts_evictions()
    {
        var h = new ChainHarness("firewall(default: drop, stateful: true, max-flows: 1024, rules: [{action: allow, dir: out, proto: udp}])");
        var flows = FirewallOf(h).Flows!;
        var frame = OutUdp(Cloud, 53, 1);
        uint cloud = V4(Cloud);
        const int total = 100_000;

        // Fill the table, then measure the rest: a full table must not allocate for new flows.
        for (int i = 0; i < 2048; i++)
        {
            h.Run(frame.WithSrcPort((ushort)(1 + i)).WithDstIp(cloud + (uint)(i >> 16)), Direction.FromDevice);
        }

        // Each pass opens new flows; a further pass runs only if the runtime allocated during the one before.
        int opened = 2048;
        long allocated = SteadyAllocations.Fewest(_ =>
        {
            for (int end = opened + total - 2048; opened < end; opened++)
            {
                h.Run(frame.WithSrcPort((ushort)(1 + (opened & 0xFFFF))).WithDstIp(cloud + (uint)(opened >> 16)), Direction.FromDevice);
            }
        });
        Assert.That(flows.Count, Is.EqualTo(1024));
        Assert.That(flows.Opened, Is.EqualTo(opened));
        Assert.That(flows.Evictions, Is.EqualTo(opened - 1024));
        Assert.That(allocated, Is.Zero, "memory is bounded: a full flow table recycles its entries");

        // The newest flow still has its state; the oldest was evicted, so its reply is unsolicited now.
        int last = total - 1;
        var newestReply = InUdp(Cloud, 53, 0).WithDstPort((ushort)(1 + (last & 0xFFFF))).WithSrcIp(cloud + (uint)(last >> 16));
        Assert.That(h.Run(newestReply), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(InUdp(Cloud, 53, 1)), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Malformed_frames_are_never_forwarded_even_when_everything_is_allowed()
    {
        var h = new ChainHarness("firewall(default: allow, stateful: true, rules: [{action: allow, proto: any}])");
        var good = InTcp(Cloud, 443, 40000, TcpFlagsBuilder.PshAck);
        Assert.That(h.Run(good), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(TruncateTcp(good, 12)), Is.EqualTo(Verdict.Drop), "TCP header cut to 12 bytes");
        Assert.That(h.Run(good.AsSpan(0, 40).ToArray()), Is.EqualTo(Verdict.Drop), "IPv4 total length beyond the capture");
        Assert.That(h.Run(good.AsSpan(0, 10).ToArray()), Is.EqualTo(Verdict.Drop), "runt frame");
        Assert.That(FirewallOf(h).Malformed, Is.EqualTo(3));
    }

    [Test]
    public void Later_fragments_match_protocol_rules_but_never_port_rules()
    {
        var fragment = InUdp(Cloud, 53, 5000);
        fragment[14 + 6] = 0x00;
        fragment[14 + 7] = 0x10; // fragment offset 16 (×8 bytes): a later fragment, no UDP header
        var byProto = new ChainHarness("firewall(default: drop, rules: [{action: allow, proto: udp}])");
        Assert.That(byProto.Run(fragment), Is.EqualTo(Verdict.Forward));
        var byPort = new ChainHarness("firewall(default: drop, rules: [{action: allow, proto: udp, rport: 53}])");
        Assert.That(byPort.Run(fragment), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Forwarding_hot_path_allocates_nothing()
    {
        var stateless = new ChainHarness("firewall(default: drop, rules: [{action: deny, remote: 203.0.113.0/24}, {action: allow, dir: in, proto: tcp, remote: [198.51.100.0/24, 192.0.2.0/24], lport: [22, 8000-8080]}])");
        var stateful = new ChainHarness("firewall(default: drop, stateful: true, rules: [{action: allow, dir: out, proto: tcp, rport: 443}])");
        var inbound = InTcp(Cloud, 50000, 8080, TcpFlagsBuilder.PshAck);
        var request = OutTcp(Cloud, 443, TcpFlagsBuilder.PshAck);
        var reply = InTcp(Cloud, 443, 40000, TcpFlagsBuilder.PshAck);
        stateful.Run(OutTcp(Cloud, 443, TcpFlagsBuilder.SynOnly), Direction.FromDevice);
        for (int i = 0; i < 100; i++)
        {
            stateless.Run(inbound);
            stateful.Run(request, Direction.FromDevice);
            stateful.Run(reply);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int forwarded = 0;
        for (int i = 0; i < 10_000; i++)
        {
            stateless.NowMicros++;
            stateful.NowMicros++;
            forwarded += stateless.Run(inbound) == Verdict.Forward ? 1 : 0;
            forwarded += stateful.Run(request, Direction.FromDevice) == Verdict.Forward ? 1 : 0;
            forwarded += stateful.Run(reply) == Verdict.Forward ? 1 : 0;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(forwarded, Is.EqualTo(30_000));
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void Bad_arguments_are_all_reported_with_their_places()
    {
        const string text = "firewall(default: maybe, flow-timeout: 30,\n  rules: [{action: allow, proto: sctp},\n          {action: allow, proto: tcp, remote: 198.51.100.0/33, rport: 70000},\n          {action: allow, proto: tcp, lport: 90-80}, {proto: udp}, {action: allow, rport: 53}, allow])";
        var errors = ChainHarness.Errors(text);

        void At(string message, string needle)
        {
            var e = errors.ErrorMentioning(message);
            var (line, column) = PositionOf(text, needle);
            Assert.That((e.Line, e.Column), Is.EqualTo((line, column)), e.ToString());
            Assert.That(e.File, Is.EqualTo("test"));
        }

        At("'default' must be one of allow, deny, drop, got 'maybe'", "maybe");
        At("'flow-timeout' only applies with 'stateful: true'", "30,");
        At("duration '30' has no unit", "30,");
        At("must be one of tcp, udp, icmp, arp, ip, any, got 'sctp'", "sctp");
        At("'198.51.100.0/33' is not an address or CIDR block", "198.51.100.0/33");
        At("'70000' is not a port", "70000");
        At("'90-80' is not a port", "90-80");
        At("missing required argument 'action'", "{proto: udp}");
        At("'rport' needs 'proto: tcp' or 'proto: udp'", "53}");
        At("rule must be a map", "allow]");
        Assert.That(errors, Has.Count.EqualTo(10), string.Join("\n", errors));
    }

    [TestCase("firewall(stateful: true, max-flows: 0)", "'max-flows' must be between 1 and 1000000")]
    [TestCase("firewall(stateful: true, flow-timeout: 10 parsecs)", "unknown unit 'parsecs'")]
    [TestCase("firewall(rules: [{action: allow, dir: sideways}])", "'dir' must be one of in, out, any")]
    [TestCase("firewall(rules: [{action: allow, proto: tcp, lport: http}])", "'http' is not a port")]
    [TestCase("firewall(rules: [{action: allow, proto: tcp, lport: []}])", "'lport' is an empty list")]
    [TestCase("firewall(rules: [{action: allow, remote: 198.51.100.300}])", "is not an address or CIDR block")]
    [TestCase("firewall(rules: [{action: allow, prot: tcp}])", "unknown argument 'prot'")]
    [TestCase("firewall(rules: [{action: permit}])", "'action' must be one of allow, deny, drop")]
    public void Rejects_bad_arguments(string text, string message)
    {
        ChainHarness.AssertRejects(text, message);
    }
}
