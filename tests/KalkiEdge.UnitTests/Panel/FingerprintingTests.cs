using KalkiEdge.Appliance.Simulation;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Fingerprinting;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.UnitTests.Panel;

public class FingerprintingTests
{
    private static readonly SimHost Device = new("d", "02:00:00:00:00:31", "192.0.2.31");
    private static readonly SimHost Unconfigured = Device with { Ip = "0.0.0.0" };
    private static readonly SimHost Broadcast = new("b", "ff:ff:ff:ff:ff:ff", "255.255.255.255");

    [Test]
    public void The_shipped_oui_table_names_each_supported_vendor_and_never_a_locally_administered_mac()
    {
        var table = OuiTable.Shipped;
        Assert.Multiple(() =>
        {
            Assert.That(table.Lookup(0x00_17_88_12_34_56)?.Key, Is.EqualTo("philips"));
            Assert.That(table.Lookup(0xEC_1A_59_12_34_56)?.Key, Is.EqualTo("belkin"));
            Assert.That(table.Lookup(0xB0_C5_54_12_34_56)?.Key, Is.EqualTo("dlink"));
            Assert.That(table.Lookup(0x00_C0_08_12_34_56)?.Key, Is.EqualTo("seco"));
            Assert.That(table.Lookup(0x02_17_88_12_34_56), Is.Null, "locally administered: random or virtual, whatever the prefix");
            Assert.That(table.Lookup(0x00_00_5E_00_53_01), Is.Null);
        });
    }

    [TestCase("001788\tphilips", "oui.tsv:1: expected")]
    [TestCase("00178\tphilips\tX", "oui.tsv:1: expected")]
    [TestCase("001788\tphilips\tX\n001788\tbelkin\tY", "oui.tsv:2: expected")]
    public void A_broken_oui_table_names_its_line(string text, string message)
    {
        Assert.That(() => OuiTable.Parse(new StringReader(text)), Throws.TypeOf<InvalidDataException>().With.Message.StartsWith(message));
    }

    [Test]
    public void Dhcp_options_12_60_and_55_are_read_from_a_discover()
    {
        var evidence = Read(PacketFactory.Udp(Unconfigured, Broadcast, 68, 67, PairingTraffic.Dhcp(PairingTraffic.UdooNeo, Device, 1)));

        Assert.That(evidence.HostName, Is.EqualTo("udooneo"));
        Assert.That(evidence.VendorClass, Is.EqualTo("dhcpcd-6.10.1:Linux-3.14.56:armv7l:Freescale i.MX6 SoloX"));
        Assert.That(evidence.ParameterRequestList, Is.EqualTo("1,121,33,3,6,12,15,26,28,51,54,58,59,119"));
    }

    [Test]
    public void Mdns_service_types_and_ssdp_headers_and_http_banners_are_read()
    {
        var evidence = new Evidence();
        Read(PacketFactory.Udp(Device, new SimHost("m", "01:00:5e:00:00:fb", "224.0.0.251"), 5353, 5353, PairingTraffic.MdnsAnnouncement("_hue._tcp", "Philips Hue - 5E6F70")), evidence);
        Read(PacketFactory.Udp(Device, new SimHost("s", "01:00:5e:7f:ff:fa", "239.255.255.250"), 1900, 1900, PacketFactory.Ascii("NOTIFY * HTTP/1.1\r\nNT: urn:Belkin:device:insight:1\r\nSERVER: Unspecified, UPnP/1.0, Unspecified\r\nX: y\r\n\r\n")), evidence);
        Read(PacketFactory.Tcp(Device, PairingTraffic.Gateway, 80, 40000, false, true, false, 1, 1, PacketFactory.Ascii("HTTP/1.1 200 OK\r\nServer: alphapd\r\n\r\nServer: not-a-header")), evidence);

        Assert.That(evidence.MdnsServices, Is.EqualTo(new[] { "_hue._tcp" }));
        Assert.That(evidence.Ssdp, Is.EqualTo(new[] { "urn:Belkin:device:insight:1", "Unspecified, UPnP/1.0, Unspecified" }));
        Assert.That(evidence.HttpServer, Is.EqualTo("alphapd"));
    }

    [Test]
    public void Hostile_payloads_yield_nothing_or_bounded_printable_text_and_never_throw()
    {
        var random = new Random(7);
        var evidence = new Evidence();
        for (var i = 0; i < 2000; i++)
        {
            var junk = new byte[random.Next(0, 600)];
            random.NextBytes(junk);
            foreach (var port in new ushort[] { 67, 5353, 1900 })
            {
                Read(PacketFactory.Udp(Device, Broadcast, port == 67 ? (ushort)68 : port, port, junk), evidence);
            }
        }

        // Truncated option, a 255-byte host name of control characters, an mDNS label running off the end.
        var dhcp = PairingTraffic.Dhcp(PairingTraffic.Unknown, Device, 1);
        Read(PacketFactory.Udp(Unconfigured, Broadcast, 68, 67, dhcp.AsSpan(..^4)), evidence);
        var hostile = new Evidence();
        var longName = new byte[236 + 4 + 2 + 255];
        longName[0] = 1;
        longName[236] = 99; longName[237] = 130; longName[238] = 83; longName[239] = 99;
        longName[240] = 12; longName[241] = 255;
        Array.Fill(longName, (byte)7, 242, 255);
        Read(PacketFactory.Udp(Unconfigured, Broadcast, 68, 67, longName), hostile);
        Read(PacketFactory.Udp(Device, Broadcast, 5353, 5353, [0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 60, (byte)'_', (byte)'x']), hostile);

        Assert.That(hostile.HostName, Has.Length.EqualTo(Evidence.MaxText).And.Match("^[?]+$"));
        Assert.That(hostile.MdnsServices, Is.Empty);
        Assert.That(evidence.MdnsServices, Has.Count.LessThanOrEqualTo(Evidence.MaxItems));
        Assert.That(evidence.Ssdp, Has.Count.LessThanOrEqualTo(Evidence.MaxItems));
    }

    [Test]
    public void Conflicting_evidence_lowers_the_confidence_below_the_threshold()
    {
        var fingerprinter = new Fingerprinter(FamilySignature.Shipped, OuiTable.Shipped, "generic-iot", 60);
        var evidence = new Evidence();
        evidence.SetDhcp("wemo", null, null);                   // Belkin's host name...
        var verdict = fingerprinter.Decide(0x00_17_88_00_00_01, evidence); // ...on a Philips MAC

        Assert.That((verdict.Pack, verdict.NeedsReview), Is.EqualTo(("generic-iot", true)));
        Assert.That(verdict.Confidence, Is.EqualTo(Fingerprinter.OuiWeight - (Fingerprinter.HostNameWeight / 2)));
        Assert.That(verdict.Evidence, Does.Contain("oui Philips Lighting BV").And.Contain("dhcp host-name 'wemo'"));
    }

    private static Evidence Read(byte[] bytes, Evidence? into = null)
    {
        var evidence = into ?? new Evidence();
        var frame = new Frame();
        frame.Load(bytes, 1, Direction.FromDevice);
        EvidenceReader.Read(frame, evidence);
        return evidence;
    }
}
