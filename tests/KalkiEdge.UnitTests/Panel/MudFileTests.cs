using System.Text;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Fingerprinting;
using KalkiEdge.Panel.Mud;
using KalkiEdge.Umboxes;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.UnitTests.Panel;

/// <summary>MUD (RFC 8520): the URL from DHCP and LLDP, the file read into egress-guard rules, hostile files, the check against a pack.</summary>
public class MudFileTests
{
    private const string Url = "https://lighting.example.com/lightbulb2000";
    private static readonly SimHost Unconfigured = new("d", "02:00:00:00:00:31", "0.0.0.0");
    private static readonly SimHost Broadcast = new("b", "ff:ff:ff:ff:ff:ff", "255.255.255.255");

    /// <summary>RFC 8520 section 9's example, as published (its ACEs name hosts by DNS name).</summary>
    public static string RfcExample => """
        {
          "ietf-mud:mud": {
            "mud-version": 1,
            "mud-url": "https://lighting.example.com/lightbulb2000",
            "last-update": "2019-01-28T11:20:51+01:00",
            "cache-validity": 48,
            "is-supported": true,
            "systeminfo": "The BMS Example Light Bulb",
            "from-device-policy": { "access-lists": { "access-list": [ { "name": "mud-76100-v6fr" } ] } },
            "to-device-policy": { "access-lists": { "access-list": [ { "name": "mud-76100-v6to" } ] } }
          },
          "ietf-access-control-list:acls": {
            "acl": [
              { "name": "mud-76100-v6to", "type": "ipv6-acl-type", "aces": { "ace": [ { "name": "cl0-todev",
                "matches": { "ipv6": { "ietf-acldns:src-dnsname": "test.example.com", "protocol": 6 },
                             "tcp": { "ietf-mud:direction-initiated": "from-device", "source-port": { "operator": "eq", "port": 443 } } },
                "actions": { "forwarding": "accept" } } ] } },
              { "name": "mud-76100-v6fr", "type": "ipv6-acl-type", "aces": { "ace": [ { "name": "cl0-frdev",
                "matches": { "ipv6": { "ietf-acldns:dst-dnsname": "test.example.com", "protocol": 6 },
                             "tcp": { "ietf-mud:direction-initiated": "from-device", "destination-port": { "operator": "eq", "port": 443 } } },
                "actions": { "forwarding": "accept" } } ] } }
            ]
          }
        }
        """;

    /// <summary>The RFC's shape with addresses instead of names, plus DNS, NTP, a port range, a drop and a manufacturer match.</summary>
    public static string AddressedExample(string url = Url) => $$"""
        {
          "ietf-mud:mud": {
            "mud-version": 1, "mud-url": "{{url}}", "systeminfo": "Lamp",
            "from-device-policy": { "access-lists": { "access-list": [ { "name": "fr" } ] } }
          },
          "ietf-access-control-list:acls": { "acl": [ { "name": "fr", "type": "ipv4-acl-type", "aces": { "ace": [
            { "name": "cloud", "matches": { "ipv4": { "protocol": 6, "destination-ipv4-network": "198.51.100.0/24" },
                                           "tcp": { "ietf-mud:direction-initiated": "from-device", "destination-port": { "operator": "eq", "port": 443 } } },
              "actions": { "forwarding": "accept" } },
            { "name": "dns", "matches": { "ipv4": { "protocol": 17 }, "udp": { "destination-port": { "operator": "eq", "port": 53 } } },
              "actions": { "forwarding": "accept" } },
            { "name": "rtp", "matches": { "udp": { "destination-port": { "lower-port": 16384, "upper-port": 16484 } } },
              "actions": { "forwarding": "accept" } },
            { "name": "no-telnet", "matches": { "tcp": { "destination-port": { "operator": "eq", "port": 23 } } },
              "actions": { "forwarding": "drop" } },
            { "name": "peers", "matches": { "ietf-mud:mud": { "same-manufacturer": [null] } },
              "actions": { "forwarding": "accept" } }
          ] } } ] }
        }
        """;

    [Test]
    public void The_rfc_example_names_each_dns_name_match_and_allows_nothing_it_cannot_enforce()
    {
        var mud = MudFile.Parse(Encoding.UTF8.GetBytes(RfcExample), "lightbulb2000.json");

        Assert.Multiple(() =>
        {
            Assert.That(mud.Url, Is.EqualTo(Url));
            Assert.That(mud.SystemInfo, Is.EqualTo("The BMS Example Light Bulb"));
            Assert.That(mud.Allows, Is.Empty, "port 443 to 'test.example.com' must not become port 443 anywhere");
            Assert.That(mud.Unsupported, Has.Some.StartsWith("$.ietf-access-control-list:acls.acl[1].aces.ace[0].matches.ipv6.ietf-acldns:dst-dnsname: host names are not supported"));
            Assert.That(mud.ServicePorts, Is.Empty, "its to-device ACE only lets answers to the device's own connections in, which egress-guard follows");
            Assert.That(mud.Unsupported, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void Addressed_aces_become_egress_guard_rules_and_what_cannot_be_enforced_is_named()
    {
        var mud = MudFile.Parse(Encoding.UTF8.GetBytes(AddressedExample()), "lamp.json");

        Assert.That(mud.EgressAllowList, Is.EqualTo("[{proto: tcp, rport: 443, remote: 198.51.100.0/24}, {proto: udp, rport: 53}, {proto: udp, rport: 16384-16484}]"));
        Assert.That(mud.Unsupported, Is.EqualTo(new[] { "$.ietf-access-control-list:acls.acl[0].aces.ace[4].matches.ietf-mud:mud: not supported: the ACE is left out, so its traffic is not allowed" }));
        Assert.That(() => new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(".")).Compile($"egress-guard(allow: {mud.EgressAllowList})", new Core.SourceSpan("mud", 1, 1), new Core.DiagnosticBag()), Is.Not.Null,
            "the translation is valid chain language");
    }

    [TestCase("", "not a MUD file")]
    [TestCase("[]", "$: expected an object, got array")]
    [TestCase("{}", "$: 'ietf-mud:mud' is missing")]
    [TestCase("""{"ietf-mud:mud": {"mud-version": 2, "mud-url": "https://x/y"}}""", "$.ietf-mud:mud.mud-version: version 2 is not supported")]
    [TestCase("""{"ietf-mud:mud": {"mud-version": 1, "mud-url": 7}}""", "$.ietf-mud:mud.mud-url: expected string, got number")]
    [TestCase("""{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://x/y", "from-device-policy": {"access-lists": {"access-list": [{"name": "nowhere"}]}}}}""", "access list 'nowhere' is named but not defined")]
    public void A_malformed_mud_file_is_refused_with_its_json_path(string json, string message)
    {
        Assert.That(() => MudFile.Parse(Encoding.UTF8.GetBytes(json), "bad.json"), Throws.TypeOf<MudException>().With.Message.StartsWith("bad.json: ").And.Message.Contains(message));
    }

    [Test]
    public void Huge_deep_and_ace_flooding_files_are_refused_in_bounded_time()
    {
        var huge = Encoding.UTF8.GetBytes("{\"x\": \"" + new string('a', MudFile.MaxBytes) + "\"}");
        var deep = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000));
        const string Ace = """{"name":"aN","matches":{"udp":{"destination-port":{"operator":"eq","port":53}}},"actions":{"forwarding":"accept"}}""";
        var aces = string.Join(",", Enumerable.Range(0, MudFile.MaxAces + 1).Select(i => Ace.Replace("aN", $"a{i}", StringComparison.Ordinal)));
        var flood = Encoding.UTF8.GetBytes("""{"ietf-mud:mud":{"mud-version":1,"mud-url":"https://x/y","from-device-policy":{"access-lists":{"access-list":[{"name":"f"}]}}},"ietf-access-control-list:acls":{"acl":[{"name":"f","aces":{"ace":[""" + aces + "]}}]}}");

        Assert.Multiple(() =>
        {
            Assert.That(() => MudFile.Parse(huge, "huge.json"), Throws.TypeOf<MudException>().With.Message.Contains($"more than the {MudFile.MaxBytes} accepted"));
            Assert.That(() => MudFile.Parse(deep, "deep.json"), Throws.TypeOf<MudException>().With.Message.Contains("depth"));
            Assert.That(() => MudFile.Parse(flood, "flood.json"), Throws.TypeOf<MudException>().With.Message.Contains($"more than {MudFile.MaxAces} ACEs"));
        });
    }

    [Test]
    public void The_mud_url_is_read_from_dhcp_option_161_and_from_lldp_and_only_https_is_kept()
    {
        var fromDhcp = Read(PacketFactory.Udp(Unconfigured, Broadcast, 68, 67, WithOption161(PairingTraffic.Dhcp(PairingTraffic.Hue, Unconfigured with { Ip = "192.0.2.31" }, 1), Url)));
        var fromLldp = Read(Lldp(Url));
        var plainHttp = Read(Lldp("http://lighting.example.com/lightbulb2000"));
        var truncated = Read(Lldp(Url)[..^12]);

        Assert.Multiple(() =>
        {
            Assert.That(fromDhcp.MudUrl, Is.EqualTo(Url));
            Assert.That(fromDhcp.HostName, Is.EqualTo("Philips-hue"), "the other options still count");
            Assert.That(fromLldp.MudUrl, Is.EqualTo(Url));
            Assert.That(plainHttp.MudUrl, Is.Null, "RFC 8520: MUD URLs are https");
            Assert.That(truncated.MudUrl, Is.Null, "a TLV that does not fit is not read");
        });
    }

    [Test]
    public void Declared_rules_are_checked_against_the_packs_normal_chain()
    {
        var images = Path.Combine(RepoPaths.Root, "umboxes");
        var compiler = new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(Path.Combine(images, "rules")));
        var diagnostics = new Core.DiagnosticBag();
        var udoo = KalkiEdge.Appliance.Images.ImageCatalog.Load(Path.Combine(images, "images"), compiler, diagnostics);
        Assert.That(udoo.TryGet("udoo-normal", out var normal), Is.True, string.Join("\n", diagnostics.Items));
        var mud = MudFile.Parse(Encoding.UTF8.GetBytes(AddressedExample()), "lamp.json");

        var gaps = MudPackCheck.Gaps(mud, normal.Chain);

        Assert.That(gaps.Select(g => g.ToString()), Is.EqualTo(new[] { "{proto: udp, rport: 16384-16484}" }),
            "udoo-normal allows DNS and HTTPS anywhere, not RTP: a device doing what its maker declares would raise abnormal-egress");
        Assert.That(MudPackCheck.Gaps(mud, compiler.Compile("pass", new Core.SourceSpan("t", 1, 1), diagnostics)!), Is.Empty, "no egress-guard: nothing to disagree with");
    }

    private static byte[] WithOption161(byte[] dhcp, string url) =>
        [.. dhcp.AsSpan(..^1), 161, (byte)url.Length, .. Encoding.ASCII.GetBytes(url), 255];

    /// <summary>An LLDP frame: chassis id, port id, TTL, the MUD URL TLV (127, OUI 00-00-5E, subtype 1), end.</summary>
    private static byte[] Lldp(string url)
    {
        var body = new List<byte>();
        void Tlv(int type, byte[] value)
        {
            body.Add((byte)((type << 1) | (value.Length >> 8)));
            body.Add((byte)value.Length);
            body.AddRange(value);
        }

        Tlv(1, [4, 2, 0, 0, 0, 0, 0x31]);
        Tlv(2, [3, 2, 0, 0, 0, 0, 0x31]);
        Tlv(3, [0, 120]);
        Tlv(127, [0x00, 0x00, 0x5E, 0x01, .. Encoding.ASCII.GetBytes(url)]);
        Tlv(0, []);
        return [0x01, 0x80, 0xC2, 0x00, 0x00, 0x0E, 0x02, 0x00, 0x00, 0x00, 0x00, 0x31, 0x88, 0xCC, .. body];
    }

    private static Evidence Read(byte[] bytes)
    {
        var frame = new Frame();
        frame.Load(bytes, 0, Direction.FromDevice);
        var evidence = new Evidence();
        EvidenceReader.Read(frame, evidence);
        return evidence;
    }
}
