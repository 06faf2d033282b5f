using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.NetTestKit;

namespace KalkiEdge.UnitTests.Umboxes;

public class PortScanTests
{
    private const string Device = Frames.DeviceIp;
    private const string Scanner = Frames.AttackerIp;

    private static byte[] Probe(ushort port, TcpFlagsBuilder flags, string from = Scanner) => Frames.Tcp(from, 61000, Device, port, flags);

    private static PortScan Element(ChainHarness h) => (PortScan)h.Chain.Elements[0];

    [Test]
    public void Distinct_port_threshold_raises_one_alert()
    {
        var h = new ChainHarness("port-scan(ports: 5, window: 10s)");
        foreach (ushort port in new ushort[] { 21, 22, 22, 23, 23, 80 })
        {
            Assert.That(h.Run(Probe(port, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward));
            h.NowMicros += Second;
        }

        Assert.That(h.Sink.Alerts, Is.Empty, "4 distinct ports so far");
        Assert.That(h.Run(Probe(443, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward), "detection without block still forwards");
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo(AlertTypes.PortScan));
        Assert.That(alert.Info, Is.EqualTo("distinct-ports scan from 203.0.113.66 (5 ports within 10s)"));
        Assert.That(alert.Count, Is.EqualTo(1));
        Assert.That(alert.FrameNumber, Is.EqualTo(7));
    }

    [Test]
    public void Ports_spread_over_two_windows_do_not_add_up()
    {
        var h = new ChainHarness("port-scan(ports: 5, window: 10s)");
        long start = h.NowMicros;
        for (ushort port = 1; port <= 4; port++)
        {
            h.Run(Probe(port, TcpFlagsBuilder.SynOnly));
        }

        h.NowMicros = start + (10 * Second);
        h.Run(Probe(5, TcpFlagsBuilder.SynOnly));
        Assert.That(h.Sink.Alerts, Is.Empty, "the 5th port falls into a new window");
        h.NowMicros = start + (10 * Second) + 1;
        for (ushort port = 6; port <= 9; port++)
        {
            h.Run(Probe(port, TcpFlagsBuilder.SynOnly));
        }

        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
    }

    [TestCase(true, false, false, false, "xmas scan from 203.0.113.66 (FIN+PSH+URG probe to port 22)")]
    [TestCase(false, false, false, false, "null scan from 203.0.113.66 (probe without TCP flags to port 22)")]
    [TestCase(false, true, false, false, "fin scan from 203.0.113.66 (FIN-only probe to port 22)")]
    public void Stealth_probe_signatures_are_detected_from_a_single_packet(bool xmas, bool fin, bool syn, bool ack, string info)
    {
        var h = new ChainHarness("port-scan");
        var flags = xmas ? TcpFlagsBuilder.Xmas : new TcpFlagsBuilder(Syn: syn, Ack: ack, Fin: fin);
        h.Run(Probe(22, flags));
        Assert.That(h.Sink.Alerts.Single().Info, Is.EqualTo(info));
    }

    [TestCase(false, "ack scan from 203.0.113.66 (3 ports within 10s)")]
    [TestCase(true, "udp scan from 203.0.113.66 (3 ports within 10s)")]
    public void Ack_and_udp_probes_that_start_no_known_flow_count_toward_distinct_ports(bool udp, string info)
    {
        var h = new ChainHarness("port-scan(ports: 3)");
        for (ushort port = 1; port <= 3; port++)
        {
            h.Run(udp ? Frames.Udp(Scanner, 61000, Device, port) : Probe(port, TcpFlagsBuilder.AckOnly));
        }

        Assert.That(h.Sink.Alerts.Single().Info, Is.EqualTo(info));
    }

    [Test]
    public void A_scan_split_over_sources_is_reported_once_for_all_of_them()
    {
        var h = new ChainHarness("port-scan(ports: 4)");
        string[] sources = ["203.0.113.71", "203.0.113.72"];
        for (ushort port = 1; port <= 6; port++)
        {
            h.Run(Probe(port, TcpFlagsBuilder.SynOnly, sources[port % 2]));
        }

        Assert.That(h.Sink.Alerts.Single().Info, Does.StartWith("distributed distinct-ports scan (4 ports"));
    }

    [Test]
    public void Normal_traffic_is_never_a_scan()
    {
        var h = new ChainHarness("port-scan(ports: 3)");
        for (ushort port = 40000; port < 40100; port++)
        {
            // Replies to 100 connections and DNS queries the device opened: SYN-ACK, data, FIN-ACK, RST-ACK to ephemeral ports.
            h.Run(Frames.Tcp(Device, port, Frames.CloudIp, 443, TcpFlagsBuilder.SynOnly, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
            h.Run(Frames.Udp(Device, port, Frames.CloudIp, 53, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
            Assert.That(h.Run(Frames.Tcp(Frames.CloudIp, 443, Device, port, TcpFlagsBuilder.SynAck)), Is.EqualTo(Verdict.Forward));
            h.Run(Frames.Tcp(Frames.CloudIp, 443, Device, port, TcpFlagsBuilder.PshAck));
            h.Run(Frames.Tcp(Frames.CloudIp, 443, Device, port, new TcpFlagsBuilder(Fin: true, Ack: true)));
            h.Run(Frames.Tcp(Frames.CloudIp, 443, Device, port, new TcpFlagsBuilder(Rst: true, Ack: true)));
            h.Run(Frames.Udp(Frames.CloudIp, 53, Device, port));
        }

        for (ushort port = 1; port < 100; port++)
        {
            h.Run(Frames.Tcp(Device, 40000, Scanner, port, TcpFlagsBuilder.SynOnly, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
        }

        Assert.That(h.Sink.Alerts, Is.Empty);
        Assert.That(Element(h).TrackedSources, Is.Zero, "no table entries for traffic that is not a probe");
    }

    /// <summary>
    /// TCP data passes port-scan without a flow lookup; bare ACKs still find or start flows. An nmap ACK scan from a
    /// host the device holds connections with, each probe between data segments of those connections, is still a scan.
    /// </summary>
    [Test]
    public void An_ack_scan_interleaved_with_established_conversations_is_detected()
    {
        var h = new ChainHarness("port-scan(ports: 6, window: 5min)");
        Opens(h, devicePort: 40000, remote: Scanner);
        Opens(h, devicePort: 40001);
        for (ushort port = 1000; port < 1006; port++)
        {
            Assert.That(h.Sink.Alerts, Is.Empty, $"{port - 1000} probes so far");
            h.Run(Frames.Tcp(Device, 40000, Scanner, 443, TcpFlagsBuilder.PshAck, "GET / HTTP/1.1\r\n\r\n", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
            h.Run(Frames.Tcp(Scanner, 443, Device, 40000, TcpFlagsBuilder.PshAck, "HTTP/1.1 200 OK\r\n\r\n"));
            h.Run(Frames.Tcp(Frames.CloudIp, 443, Device, 40001, TcpFlagsBuilder.PshAck, "data"));
            h.Run(Probe(port, TcpFlagsBuilder.AckOnly));
            h.Run(Frames.Tcp(Scanner, 443, Device, 40000, TcpFlagsBuilder.AckOnly));
            h.NowMicros += Second;
        }

        Assert.That(h.Sink.Alerts.Single().Info, Is.EqualTo("ack scan from 203.0.113.66 (6 ports within 5min)"));
    }

    /// <summary>nmap -sA -T1: one ACK probe every 15 s, beside a download that lasts the whole scan.</summary>
    [Test]
    public void A_slow_ack_scan_during_a_long_download_is_detected()
    {
        var h = new ChainHarness("port-scan(ports: 6, window: 5min)");
        long start = h.NowMicros;
        Opens(h, devicePort: 40000);
        for (int s = 0; s < 90; s++)
        {
            h.NowMicros = start + (s * Second);
            h.Run(Frames.Tcp(Frames.CloudIp, 443, Device, 40000, TcpFlagsBuilder.PshAck, new byte[1400]));
            h.Run(Frames.Tcp(Device, 40000, Frames.CloudIp, 443, TcpFlagsBuilder.AckOnly, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
            if (s % 15 == 0)
            {
                h.Run(Probe((ushort)(2000 + s), TcpFlagsBuilder.AckOnly));
            }
        }

        Assert.That(h.Sink.Alerts.Single().Info, Is.EqualTo("ack scan from 203.0.113.66 (6 ports within 5min)"));
    }

    /// <summary>
    /// Connections the device opened, moving data both ways for longer than the flow idle timeout (120 s): data
    /// segments refresh nothing, yet the pure ACKs of each side keep every flow known, so the remote's ACKs to ten
    /// ephemeral ports are never ACK probes. A data segment alone, of a flow never seen, starts no entry.
    /// </summary>
    [Test]
    public void Long_transfers_both_ways_are_never_ack_probes()
    {
        var h = new ChainHarness("port-scan(ports: 3, window: 5min)");
        long start = h.NowMicros;
        for (ushort port = 40000; port < 40010; port++)
        {
            Opens(h, port);
        }

        for (int s = 0; s < 300; s++)
        {
            h.NowMicros = start + (s * Second);
            for (ushort port = 40000; port < 40010; port++)
            {
                // Even ports download (data in, pure ACK out); odd ports upload (data out, pure ACK in).
                bool download = port % 2 == 0;
                var data = download
                    ? Frames.Tcp(Frames.CloudIp, 443, Device, port, TcpFlagsBuilder.PshAck, new byte[1400])
                    : Frames.Tcp(Device, port, Frames.CloudIp, 443, TcpFlagsBuilder.PshAck, new byte[1400], Frames.DeviceMac, Frames.GatewayMac);
                var ack = download
                    ? Frames.Tcp(Device, port, Frames.CloudIp, 443, TcpFlagsBuilder.AckOnly, "", Frames.DeviceMac, Frames.GatewayMac)
                    : Frames.Tcp(Frames.CloudIp, 443, Device, port, TcpFlagsBuilder.AckOnly);
                h.Run(data, download ? Direction.ToDevice : Direction.FromDevice);
                h.Run(ack, download ? Direction.FromDevice : Direction.ToDevice);
            }
        }

        Assert.That(h.Sink.Alerts, Is.Empty);
        Assert.That(Element(h).Flows.Count, Is.EqualTo(10));
        h.Run(Frames.Tcp(Frames.CloudIp, 443, Device, 41000, TcpFlagsBuilder.PshAck, "data"));
        Assert.That(Element(h).Flows.Count, Is.EqualTo(10), "data takes no lookup and starts no entry");
    }

    /// <summary>
    /// Uploads already under way when port-scan starts (a chain swap, a restart): the device's data is the first the
    /// element sees of each flow, so the remote's pure ACKs to six ephemeral ports answer flows the device opened.
    /// </summary>
    [Test]
    public void Uploads_under_way_when_the_chain_starts_are_never_ack_probes()
    {
        var h = new ChainHarness("port-scan(ports: 3, window: 5min)");
        for (int round = 0; round < 3; round++)
        {
            for (ushort port = 40000; port < 40006; port++)
            {
                h.Run(Frames.Tcp(Device, port, Frames.CloudIp, 443, TcpFlagsBuilder.PshAck, new byte[1400], Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
                h.Run(Frames.Tcp(Frames.CloudIp, 443, Device, port, TcpFlagsBuilder.AckOnly));
            }

            h.NowMicros += Second;
        }

        Assert.That(h.Sink.Alerts, Is.Empty);
    }

    /// <summary>The device's handshake from <paramref name="devicePort"/> with port 443 of <paramref name="remote"/> (default the cloud).</summary>
    private static void Opens(ChainHarness h, ushort devicePort, string remote = Frames.CloudIp)
    {
        h.Run(Frames.Tcp(Device, devicePort, remote, 443, TcpFlagsBuilder.SynOnly, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
        h.Run(Frames.Tcp(remote, 443, Device, devicePort, TcpFlagsBuilder.SynAck));
        h.Run(Frames.Tcp(Device, devicePort, remote, 443, TcpFlagsBuilder.AckOnly, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice);
    }

    [Test]
    public void A_full_sweep_raises_one_alert_per_window_with_a_count()
    {
        var h = new ChainHarness("port-scan(ports: 20, window: 10s)");
        long start = h.NowMicros;
        for (int port = 1; port <= 1000; port++)
        {
            h.NowMicros = start + (port * 1000L);
            h.Run(Probe((ushort)port, TcpFlagsBuilder.SynOnly));
        }

        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
        Assert.That(Element(h).Detections, Is.EqualTo(981), "ports 20..1000 each complete a detection");

        h.NowMicros = h.Sink.Alerts[0].TimeMicros + (10 * Second);
        h.Run(Probe(2, TcpFlagsBuilder.Xmas));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(2));
        Assert.That(h.Sink.Alerts[1].Count, Is.EqualTo(981), "980 suppressed detections plus this one");
        Assert.That(h.Sink.Alerts[1].Info, Does.StartWith("xmas scan"));
    }

    [Test]
    public void Block_drops_the_scanner_for_block_for_and_then_lets_it_go()
    {
        var h = new ChainHarness("port-scan(ports: 3, block: true, block-for: 30s)");
        long start = h.NowMicros;
        Assert.That(h.Run(Probe(1, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Probe(2, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Probe(3, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Drop), "the detecting probe");
        Assert.That(h.Run(Frames.Tcp(Scanner, 61000, Device, 1, TcpFlagsBuilder.AckOnly)), Is.EqualTo(Verdict.Drop), "any frame from the scanner");
        Assert.That(h.Run(Frames.Udp(Scanner, 61000, Device, 53)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Probe(1, TcpFlagsBuilder.SynOnly, Frames.CloudIp)), Is.EqualTo(Verdict.Forward), "others are not blocked");
        Assert.That(h.Run(Frames.Tcp(Device, 1, Scanner, 61000, TcpFlagsBuilder.AckOnly, "", Frames.DeviceMac, Frames.GatewayMac), Direction.FromDevice), Is.EqualTo(Verdict.Forward), "only inbound is examined");

        h.NowMicros = start + (30 * Second) - 1;
        Assert.That(h.Run(Frames.Udp(Scanner, 61000, Device, 53)), Is.EqualTo(Verdict.Drop));
        h.NowMicros = start + (30 * Second);
        Assert.That(h.Run(Frames.Udp(Scanner, 61000, Device, 53)), Is.EqualTo(Verdict.Forward));
        Assert.That(Element(h).BlockedFrames, Is.EqualTo(4));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
    }

    [Test]
    public void Blocked_stealth_probe_is_dropped_at_once()
    {
        var h = new ChainHarness("port-scan(block: true)");
        Assert.That(h.Run(Probe(22, TcpFlagsBuilder.FinOnly)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Probe(22, TcpFlagsBuilder.SynOnly)), Is.EqualTo(Verdict.Drop));
    }

    [Test]
    public void Prefix_treats_a_block_of_scanners_as_one_source()
    {
        var h = new ChainHarness("port-scan(ports: 3, prefix: /24)");
        h.Run(Probe(1, TcpFlagsBuilder.SynOnly, "203.0.113.1"));
        h.Run(Probe(2, TcpFlagsBuilder.SynOnly, "203.0.113.2"));
        h.Run(Probe(3, TcpFlagsBuilder.SynOnly, "203.0.113.3"));
        Assert.That(h.Sink.Alerts.Single().Info, Does.Contain("from 203.0.113.0/24"));
    }

    [Test]
    public void Source_table_is_bounded()
    {
        var h = new ChainHarness("port-scan(ports: 10, max-sources: 32)");
        var probe = Probe(22, TcpFlagsBuilder.SynOnly);
        uint baseIp = V4("203.0.113.0");
        for (uint i = 0; i < 10_000; i++)
        {
            h.Run(probe.WithSrcIp(baseIp + i));
        }

        Assert.That(Element(h).TrackedSources, Is.EqualTo(32));
        Assert.That(Element(h).SourceEvictions, Is.EqualTo(10_000 - 32));
        Assert.That(h.Sink.Alerts, Is.Empty);
    }

    [Test]
    public void Malformed_frames_are_dropped()
    {
        var h = new ChainHarness("port-scan");
        Assert.That(h.Run(TruncateTcp(Probe(22, TcpFlagsBuilder.Xmas), 19)), Is.EqualTo(Verdict.Drop));
        Assert.That(Element(h).Malformed, Is.EqualTo(1));
        Assert.That(h.Sink.Alerts, Is.Empty);
    }

    [TestCase("port-scan(ports: 1)", "'ports' must be between 2 and 1024")]
    [TestCase("port-scan(window: 10)", "duration '10' has no unit")]
    [TestCase("port-scan(block-for: 1min)", "'block-for' only applies with 'block: true'")]
    [TestCase("port-scan(block: yes-please)", "'block' must be true or false")]
    [TestCase("port-scan(prefix: 24x)", "'prefix' must be a prefix length")]
    [TestCase("port-scan(threshold: 5)", "unknown argument 'threshold'")]
    public void Rejects_bad_arguments(string text, string message)
    {
        ChainHarness.AssertRejects(text, message);
    }

    [Test]
    public void Errors_carry_line_and_column()
    {
        const string text = "port-scan(ports: 20,\n  window: 10 s,\n  block-for: 5x)";
        var errors = ChainHarness.Errors(text);
        var e = errors.ErrorMentioning("'block-for': duration");
        Assert.That((e.Line, e.Column), Is.EqualTo(PositionOf(text, "5x")));
    }
}
