using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using PacketDotNet;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.AppTestSupport;

namespace KalkiEdge.UnitTests.Umboxes;

public class DecoyTests
{
    private const string Attacker = Frames.AttackerIp;
    private const string ControlPath = "/upnp/control/basicevent1";
    private const uint RequestSeq = 0xFFFF_FF00; // the acknowledgment must wrap around 2^32
    private const uint RequestAck = 0x1234_5678;

    private static string SoapBody(string action, string arguments = "") =>
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
        + $"<u:{action} xmlns:u=\"urn:Belkin:service:basicevent:1\">{arguments}</u:{action}></s:Body></s:Envelope>";

    private static string WemoRequest(string action, string arguments = "", bool soapActionHeader = true, string path = ControlPath)
    {
        var header = soapActionHeader ? $"SOAPACTION: \"urn:Belkin:service:basicevent:1#{action}\"\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n" : "";
        return Request("POST", path, header, SoapBody(action, arguments));
    }

    private static byte[] Segment(string payload, string src = Attacker, ushort dstPort = 49153, bool v6 = false)
    {
        var tcp = new TcpPacket(40001, dstPort)
        {
            Acknowledgment = true,
            Push = true,
            SequenceNumber = RequestSeq,
            AcknowledgmentNumber = RequestAck,
            WindowSize = 64240,
            PayloadData = Encoding.ASCII.GetBytes(payload),
        };
        IPPacket ip = v6
            ? new IPv6Packet(IPAddress.Parse("2001:db8::66"), IPAddress.Parse("2001:db8::10")) { PayloadPacket = tcp, HopLimit = 64 }
            : new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(Frames.DeviceIp)) { PayloadPacket = tcp, TimeToLive = 64 };
        tcp.UpdateTcpChecksum();
        if (ip is IPv4Packet v4)
        {
            v4.UpdateIPChecksum();
        }

        var eth = new EthernetPacket(PhysicalAddress.Parse("02-00-00-00-00-FE"), PhysicalAddress.Parse("02-00-00-00-00-01"), v6 ? EthernetType.IPv6 : EthernetType.IPv4) { PayloadPacket = ip };
        return eth.Bytes;
    }

    private static (EthernetPacket Eth, IPPacket Ip, TcpPacket Tcp, string Http) ParseReply(ChainHarness h)
    {
        var reply = h.Context.Reply;
        var eth = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, reply.Data.ToArray());
        var ip = eth.Extract<IPPacket>();
        var tcp = eth.Extract<TcpPacket>();
        Assert.That(ip, Is.Not.Null);
        Assert.That(tcp, Is.Not.Null);
        return (eth, ip, tcp, Encoding.ASCII.GetString(tcp.PayloadData));
    }

    private static string Body(string http) => http[(http.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];

    [Test]
    public void SetBinaryState_is_answered_with_a_complete_valid_reply_frame_and_never_reaches_the_device()
    {
        var h = new ChainHarness("decoy(protocol: wemo, port: 49153, state: 0)");
        var request = Segment(WemoRequest("SetBinaryState", "<BinaryState>1</BinaryState>"));
        Assert.That(h.Run(request), Is.EqualTo(Verdict.Reply));

        var (eth, ip, tcp, http) = ParseReply(h);
        var req = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, request);
        var reqTcp = req.Extract<TcpPacket>();
        Assert.That(eth.SourceHardwareAddress, Is.EqualTo(req.DestinationHardwareAddress));
        Assert.That(eth.DestinationHardwareAddress, Is.EqualTo(req.SourceHardwareAddress));
        Assert.That(ip.SourceAddress.ToString(), Is.EqualTo(Frames.DeviceIp));
        Assert.That(ip.DestinationAddress.ToString(), Is.EqualTo(Attacker));
        Assert.That(((IPv4Packet)ip).ValidIPChecksum, Is.True);
        Assert.That(((IPv4Packet)ip).TotalLength, Is.EqualTo(h.Context.Reply.Length - 14));
        Assert.That(tcp.ValidTcpChecksum, Is.True);
        Assert.That((tcp.SourcePort, tcp.DestinationPort), Is.EqualTo(((ushort)49153, (ushort)40001)));
        Assert.That(tcp.SequenceNumber, Is.EqualTo(RequestAck));
        Assert.That(tcp.AcknowledgmentNumber, Is.EqualTo(unchecked(RequestSeq + (uint)reqTcp.PayloadData.Length)));
        Assert.That(tcp.Acknowledgment && tcp.Push && !tcp.Synchronize && !tcp.Reset, Is.True);

        Assert.That(http, Does.StartWith("HTTP/1.1 200 OK\r\n"));
        Assert.That(http, Does.Contain($"CONTENT-LENGTH: {Body(http).Length}\r\n"));
        Assert.That(Body(http), Does.Contain("<u:SetBinaryStateResponse xmlns:u=\"urn:Belkin:service:basicevent:1\">").And.Contain("<BinaryState>1</BinaryState>"));
        Assert.That(h.Context.Reply.Direction, Is.EqualTo(Direction.FromDevice));
        Assert.That(Element<Decoy>(h).SimulatedState, Is.EqualTo(1));

        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo("control-attempt"));
        Assert.That(alert.Info, Does.Contain("SetBinaryState(1)").And.Contain("0 -> 1").And.Contain(Attacker).And.Contain("not reached"));
    }

    [Test]
    public void GetBinaryState_reflects_the_simulated_state_and_raises_nothing()
    {
        var h = new ChainHarness("decoy(state: 1)");
        Assert.That(h.Run(Segment(WemoRequest("GetBinaryState"))), Is.EqualTo(Verdict.Reply));
        Assert.That(Body(ParseReply(h).Http), Does.Contain("<u:GetBinaryStateResponse").And.Contain("<BinaryState>1</BinaryState>"));
        h.Run(Segment(WemoRequest("SetBinaryState", "<BinaryState>0</BinaryState>", soapActionHeader: false)));
        h.Run(Segment(WemoRequest("GetBinaryState", soapActionHeader: false)));
        Assert.That(Body(ParseReply(h).Http), Does.Contain("<BinaryState>0</BinaryState>"), "action recognized from the body alone");
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1), "only the Set is a control attempt");
    }

    [Test]
    public void Unknown_actions_and_bad_arguments_get_upnp_faults_and_leave_the_state_alone()
    {
        var h = new ChainHarness("decoy");
        Assert.That(h.Run(Segment(WemoRequest("SetBinaryState", "<BinaryState>on</BinaryState>"))), Is.EqualTo(Verdict.Reply));
        var http = ParseReply(h).Http;
        Assert.That(http, Does.StartWith("HTTP/1.1 500 "));
        Assert.That(Body(http), Does.Contain("<errorCode>402</errorCode>"));
        Assert.That(Element<Decoy>(h).SimulatedState, Is.EqualTo(0));

        h.NowMicros += 61 * Second;
        Assert.That(h.Run(Segment(WemoRequest("SetFriendlyName", "<FriendlyName>pwned</FriendlyName>"))), Is.EqualTo(Verdict.Reply));
        Assert.That(Body(ParseReply(h).Http), Does.Contain("<errorCode>401</errorCode>").And.Contain("Invalid Action"));
        Assert.That(h.Sink.Alerts.Select(a => a.Info), Has.Some.Contain("fault 402").And.Some.Contain("fault 401"));
    }

    [Test]
    public void Other_traffic_passes()
    {
        var h = new ChainHarness("decoy");
        Assert.That(h.Run(Segment(Request("GET", "/setup.xml"))), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Segment(WemoRequest("SetBinaryState", "<BinaryState>1</BinaryState>", path: "/upnp/control/firmwareupdate1"))), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Segment(WemoRequest("SetBinaryState", "<BinaryState>1</BinaryState>"), dstPort: 49154)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Segment("<BinaryState>1</BinaryState> continuation of a body")), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Syn(Attacker, 49153)), Is.EqualTo(Verdict.Forward), "the handshake reaches the device");
        var fromDevice = Frames.Tcp(Frames.DeviceIp, 49153, Attacker, 40001, TcpFlagsBuilder.PshAck, WemoRequest("SetBinaryState", "<BinaryState>1</BinaryState>"), Frames.DeviceMac, Frames.GatewayMac);
        Assert.That(h.Run(fromDevice, Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Sink.Alerts, Is.Empty);
        Assert.That(Element<Decoy>(h).SimulatedState, Is.EqualTo(0));
    }

    [Test]
    public void With_answer_false_control_requests_reach_the_device_and_are_reported()
    {
        var h = new ChainHarness("decoy(protocol: wemo, answer: false, alert: control-attempt)");
        Assert.That(h.Run(Segment(WemoRequest("SetBinaryState", "<BinaryState>1</BinaryState>"))), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(Segment(WemoRequest("GetBinaryState"))), Is.EqualTo(Verdict.Forward));
        var alert = h.Sink.Alerts.Single();
        Assert.That(alert.Type, Is.EqualTo("control-attempt"));
        Assert.That(alert.Info, Does.Contain("SetBinaryState(1)").And.Contain("reached the device"));
        h.NowMicros += 600_000;
        h.Run(Segment(WemoRequest("SetBinaryState", "<BinaryState>0</BinaryState>")));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(2), "attempts 0.6 s apart are reported one by one");
        Assert.That(h.Chain.Elements[0].Counters.Replied, Is.Zero);
    }

    [Test]
    public void IPv6_requests_get_a_valid_IPv6_reply()
    {
        var h = new ChainHarness("decoy");
        Assert.That(h.Run(Segment(WemoRequest("SetBinaryState", "<BinaryState>1</BinaryState>"), v6: true)), Is.EqualTo(Verdict.Reply));
        var (_, ip, tcp, http) = ParseReply(h);
        Assert.That(ip, Is.InstanceOf<IPv6Packet>());
        Assert.That(ip.SourceAddress, Is.EqualTo(IPAddress.Parse("2001:db8::10")));
        Assert.That(ip.DestinationAddress, Is.EqualTo(IPAddress.Parse("2001:db8::66")));
        Assert.That(((IPv6Packet)ip).PayloadLength, Is.EqualTo(tcp.Bytes.Length));
        Assert.That(tcp.ValidTcpChecksum, Is.True);
        Assert.That(Body(http), Does.Contain("<BinaryState>1</BinaryState>"));
    }

    [Test]
    public void VLAN_tags_are_kept_in_the_reply()
    {
        var h = new ChainHarness("decoy");
        var plain = Segment(WemoRequest("GetBinaryState"));
        byte[] tagged = [.. plain[..12], 0x81, 0x00, 0x00, 0x64, .. plain[12..]];
        Assert.That(h.Run(tagged), Is.EqualTo(Verdict.Reply));
        var reply = h.Context.Reply.Data.ToArray();
        Assert.That(reply[12..16], Is.EqualTo(new byte[] { 0x81, 0x00, 0x00, 0x64 }));
        byte[] untagged = [.. reply[..12], .. reply[16..]];
        var tcp = Packet.ParsePacket(LinkLayers.Ethernet, untagged).Extract<TcpPacket>();
        Assert.That(tcp.ValidTcpChecksum, Is.True);
    }

    [Test]
    public void Control_attempts_are_reported_once_per_source_per_window_with_a_count()
    {
        var h = new ChainHarness("decoy(alert-window: 1min)");
        long start = h.NowMicros;
        for (int i = 0; i < 10; i++)
        {
            h.NowMicros = start + (i * Second);
            Assert.That(h.Run(Segment(WemoRequest("SetBinaryState", $"<BinaryState>{i % 2}</BinaryState>"))), Is.EqualTo(Verdict.Reply));
        }

        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1));
        h.NowMicros = start + (60 * Second);
        h.Run(Segment(WemoRequest("SetBinaryState", "<BinaryState>1</BinaryState>")));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(2));
        Assert.That(h.Sink.Alerts[1].Count, Is.EqualTo(10));
        Assert.That(Element<Decoy>(h).SimulatedState, Is.EqualTo(1));
    }

    [Test]
    public void A_hundred_thousand_sources_keep_the_table_bounded_and_replies_allocate_nothing()
    {
        var h = new ChainHarness("decoy(max-sources: 1024)");
        // The fewest bytes of up to three floods: the runtime may allocate once on this thread during one of them.
        var query = HttpV6("2001:db8::1", 49153, WemoRequest("GetBinaryState"));
        long allocated = long.MaxValue;
        int floods = 0;
        while (floods < 3 && allocated >= 10_000)
        {
            allocated = Math.Min(allocated, FloodFromDistinctV6Sources(h, query, 100_000));
            floods++;
        }

        Assert.That(allocated, Is.LessThan(10_000), "answering does not allocate");
        Assert.That(h.Chain.Elements[0].Counters.Replied, Is.EqualTo(floods * 100_001));

        FloodFromDistinctV6Sources(h, HttpV6("2001:db8::1", 49153, WemoRequest("SetBinaryState", "<BinaryState>1</BinaryState>")), 100_000);
        var decoy = Element<Decoy>(h);
        Assert.That(decoy.TableCapacity, Is.EqualTo(1024));
        Assert.That(decoy.Evictions, Is.GreaterThan(90_000));
        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(100_000), "one per distinct source per window (the first flood frame repeats the template source)");
    }

    [Test]
    public void Random_hostile_bodies_never_crash_and_never_reach_the_device()
    {
        var h = new ChainHarness("decoy");
        var random = new Random(8);
        for (int i = 0; i < 3000; i++)
        {
            var junk = new byte[random.Next(0, 900)];
            random.NextBytes(junk);
            var head = i % 2 == 0 ? "POST /upnp/control/basicevent1 HTTP/1.1\r\nSOAPACTION: \"x#SetBinaryState\"\r\n\r\n<BinaryState>" : "POST /upnp/control/basicevent1 HTTP/1.1\r\n\r\n";
            var verdict = h.Run(Segment(head + Encoding.Latin1.GetString(junk)));
            Assert.That(verdict, Is.EqualTo(Verdict.Reply));
            Assert.That(ParseReply(h).Tcp.ValidTcpChecksum, Is.True);
        }
    }

    [Test]
    public void Reports_every_argument_error_with_its_place()
    {
        var errors = ChainHarness.Errors("decoy(protocol: hue, port: 99999,\n  path: upnp, state: 2, alert: \"Control Attempt\", alert-window: 0ms)");
        var messages = errors.Select(e => e.Message).ToList();
        Assert.That(messages, Has.Some.Contain("'protocol' must be one of wemo"));
        Assert.That(messages, Has.Some.Contain("'port' must be between 1 and 65535"));
        Assert.That(messages, Has.Some.Contain("'path' must be an absolute HTTP path"));
        Assert.That(messages, Has.Some.Contain("'state' must be between 0 and 1"));
        Assert.That(messages, Has.Some.Contain("alert type name"));
        Assert.That(messages, Has.Some.Contain("'alert-window' must be at least 1us"));
        Assert.That(ChainHarness.Errors("decoy(answer: false, state: 1)").Single().Message, Does.Contain("'state' (the simulated state) needs 'answer: true'"));
        var path = errors.Single(e => e.Message.Contains("'path'", StringComparison.Ordinal));
        Assert.That((path.Line, path.Column), Is.EqualTo((2, 9)));
    }
}
