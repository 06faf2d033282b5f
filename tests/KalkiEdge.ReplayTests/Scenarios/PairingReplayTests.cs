using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Simulation;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>
/// kalki-edge replay --pair-window on generated captures of each supported family's first minutes on a network:
/// each is admitted with the right pack and runs under its chain; one appearing after the window is not.
/// </summary>
public class PairingReplayTests
{
    private const long Start = 1_767_225_600_000_000;
    private const long Second = 1_000_000;
    private const string MudUrl = "https://udoo.example.com/mud/neo";

    private static readonly (FamilyIntroduction Family, SimHost Host)[] Site =
    [
        (PairingTraffic.Hue, new SimHost("hue", "00:17:88:5e:6f:70", "192.0.2.21")),
        (PairingTraffic.Wemo, new SimHost("wemo", "ec:1a:59:ee:48:e3", "192.0.2.22")),
        (PairingTraffic.DlinkCamera, new SimHost("camera", "b0:c5:54:12:34:56", "192.0.2.23")),
        (PairingTraffic.UdooNeo, new SimHost("udoo", "00:c0:08:9a:bc:de", "192.0.2.24")),
        (PairingTraffic.Unknown, new SimHost("esp", "02:3c:71:bf:00:01", "192.0.2.25")),
    ];

    private static readonly SimHost Late = new("late-wemo", "94:10:3e:00:00:07", "192.0.2.26");

    private static readonly SimHost MudUdoo = new("udoo", "00:c0:08:9a:bc:de", "192.0.2.24");

    [Test]
    public void Replay_pairs_each_family_in_the_window_with_its_pack_and_never_a_device_after_it()
    {
        using var dir = new TempDir();
        var timeline = new Timeline();
        var at = Start + (5 * Second);
        foreach (var (family, host) in Site)
        {
            PairingTraffic.Introduce(timeline, family, host, at);
            at += 7 * Second;
        }

        PairingTraffic.Introduce(timeline, PairingTraffic.Wemo, Late, Start + (150 * Second)); // the window (opened at the first frame, 5 s) closed at 125 s
        var pcap = dir.File("pairing.pcap");
        timeline.WritePcap(pcap);
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, $"umboxes: {SiteConfigLoader.DefaultUmboxesDir()}\nunknown-devices: drop\ndevices: []\npanel:\n  pairing: {{window: 120s, confidence: 60, observe: 20s}}\n");

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--config", config, "--json", "--pair-window", "0", "--network-mac", PairingTraffic.Gateway.Mac);

        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var paired = r.OfKind("paired").ToDictionary(p => p.GetProperty("mac").GetString()!, p => (Pack: p.GetProperty("pack").GetString(), Review: p.GetProperty("needsReview").GetBoolean(), Admitted: p.GetProperty("admitted").GetBoolean(), Device: p.GetProperty("device").GetString()!));
        Assert.That(paired.Keys, Is.EquivalentTo(Site.Select(s => s.Host.Mac)));
        foreach (var (family, host) in Site)
        {
            Assert.That(paired[host.Mac], Is.EqualTo((family.Family, family == PairingTraffic.Unknown, true, paired[host.Mac].Device)), host.Name);
        }

        var devices = r.Summary.GetProperty("devices");
        Assert.That(devices.EnumerateObject().Select(d => d.Name), Is.EquivalentTo(paired.Values.Select(p => p.Device)));
        // Each starts in its pack's initial state; their DHCP, ARP and mDNS are no abnormal egress.
        Assert.That(r.OfKind("alert").Select(a => a.GetProperty("type").GetString()), Does.Not.Contain("abnormal-egress"), r.Stdout);
        var firstFrom = r.OfKind("transition").GroupBy(t => t.GetProperty("device").GetString()!).ToDictionary(g => g.Key, g => g.First().GetProperty("from").GetString());
        foreach (var d in devices.EnumerateObject())
        {
            Assert.That(firstFrom.GetValueOrDefault(d.Name) ?? d.Value.GetProperty("state").GetString(), Is.EqualTo("Normal"), d.Name);
        }

        var unknown = r.OfKind("alert").Where(a => a.GetProperty("type").GetString() == "unknown-device").Select(a => a.GetProperty("info").GetString()).ToList();
        Assert.That(unknown, Is.EqualTo(new[] { $"frame from unregistered MAC {Late.Mac}" }));
    }

    /// <summary>
    /// A device paired below the confidence threshold is flagged by the real `kalki-edge devices` on the running
    /// appliance (over its control socket, from the store the replay committed the pairing to); a recognised one is not.
    /// </summary>
    [Test]
    public void Kalki_edge_devices_flags_a_device_paired_below_the_threshold_as_needing_review()
    {
        using var dir = new TempDir();
        var (hue, esp) = (Site[0], Site[4]);
        var timeline = new Timeline();
        PairingTraffic.Introduce(timeline, hue.Family, hue.Host, Start + (5 * Second));
        PairingTraffic.Introduce(timeline, esp.Family, esp.Host, Start + (12 * Second));
        var pcap = dir.File("pairing.pcap");
        timeline.WritePcap(pcap);
        var socket = dir.File("ctl.sock");
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, $"umboxes: {SiteConfigLoader.DefaultUmboxesDir()}\nunknown-devices: drop\ndevices: []\ndata-dir: {dir.File("data")}\n"
            + $"management: {{listen: \"127.0.0.1:0\", control-socket: {socket}}}\npanel:\n  pairing: {{window: 120s, confidence: 60, observe: 20s}}\n");

        var replay = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--config", config, "--json", "--persist", "--pair-window", "0", "--network-mac", PairingTraffic.Gateway.Mac);

        Assert.That(replay.ExitCode, Is.EqualTo(0), replay.Stderr);
        var device = replay.OfKind("paired").ToDictionary(p => p.GetProperty("mac").GetString()!, p => p.GetProperty("device").GetString()!);
        Assert.That(device.Keys, Is.EquivalentTo(new[] { hue.Host.Mac, esp.Host.Mac }));
        using (RunningAppliance.StartWithSocket(config, socket))
        {
            var listed = KalkiEdgeCli.Run("devices", "--config", config);

            Assert.That(listed.ExitCode, Is.EqualTo(0), listed.Stderr);
            var rows = listed.Stdout.Split('\n');
            Assert.That(rows, Has.Exactly(1).StartsWith(device[esp.Host.Mac] + " ").And.Contain(" generic-iot (NEEDS REVIEW) "), listed.Stdout);
            Assert.That(rows, Has.Exactly(1).StartsWith(device[hue.Host.Mac] + " ").And.Contain(" philips-hue-bridge ").And.Not.Contain("NEEDS REVIEW"), listed.Stdout);
        }
    }

    /// <summary>
    /// A Udoo announcing a MUD URL in DHCP option 161: the site's MUD folder has its file, which declares MQTT over
    /// TLS to its cloud besides DNS; the pairing result names the declared rule udoo-normal would report.
    /// </summary>
    [Test]
    public void A_paired_device_s_mud_file_is_read_from_the_site_folder_and_becomes_its_allow_list()
    {
        using var dir = new TempDir();
        var timeline = new Timeline();
        PairingTraffic.Introduce(timeline, PairingTraffic.UdooNeo with { MudUrl = MudUrl }, MudUdoo, Start + (5 * Second));

        var r = ReplayWithMud(dir, timeline);

        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var paired = r.OfKind("paired").Single();
        Assert.That(paired.GetProperty("pack").GetString(), Is.EqualTo("udoo-neo"));
        Assert.That(paired.GetProperty("detail").GetString(), Does.Contain($"mud {MudUrl}: the device's allow-list is now its 2 declared rules; declared beyond pack udoo-neo's: {{proto: tcp, rport: 8883, remote: 198.51.100.0/24}}"));
        Assert.That(r.Stderr, Does.Contain("matches.ipv4.ietf-acldns:dst-dnsname: host names are not supported"), "the ACE it cannot enforce is named, not dropped silently");
    }

    /// <summary>
    /// The maker's list is enforced from the first packet: after its introduction the paired Udoo answers a
    /// connection opened toward it (a port neither the file nor the pack names), opens the declared MQTT flow, then
    /// one SYN to HTTPS, which its pack allows anywhere but its maker does not declare. That SYN alone is dropped,
    /// alerted, and the pack's rule quarantines the device.
    /// </summary>
    [Test]
    public void A_mud_device_s_undeclared_flow_is_dropped_from_its_first_packet_and_the_pack_still_quarantines_it()
    {
        using var dir = new TempDir();
        var timeline = new Timeline();
        var end = PairingTraffic.Introduce(timeline, PairingTraffic.UdooNeo with { MudUrl = MudUrl }, MudUdoo, Start + (5 * Second));
        var cloud = new SimHost("cloud", PairingTraffic.Gateway.Mac, "198.51.100.7");
        var outsider = new SimHost("outsider", PairingTraffic.Gateway.Mac, "203.0.113.50");
        var at = timeline.TcpSession(end + Second, outsider, MudUdoo, 41_000, 2222, PacketFactory.Ascii("hello\n"), PacketFactory.Ascii("SSH-2.0-dropbear\r\n"));
        at = timeline.TcpSession(at + Second, MudUdoo, cloud, 41_001, 8883, PacketFactory.Ascii("mqtt"), PacketFactory.Ascii("ok"));
        var undeclared = new SimHost("web", PairingTraffic.Gateway.Mac, "203.0.113.9");
        timeline.Add(at + Second, PacketFactory.Tcp(MudUdoo, undeclared, 41_002, 443, syn: true, ack: false, fin: false, 7, 0, []));

        var r = ReplayWithMud(dir, timeline);

        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var device = r.OfKind("paired").Single().GetProperty("device").GetString()!;
        var summary = r.Summary.GetProperty("devices").GetProperty(device);
        var egress = r.OfKind("alert").Where(a => a.GetProperty("type").GetString() == "abnormal-egress").Select(a => a.GetProperty("info").GetString()!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(egress, Has.Count.EqualTo(1), r.Stdout);
            Assert.That(egress, Has.All.Contain("203.0.113.9:443").And.Contain("dropped"), "only the undeclared SYN, and it never left");
            Assert.That(summary.GetProperty("dropped").GetInt64(), Is.EqualTo(1), "the undeclared SYN is the device's only dropped frame: its answers and the declared flow crossed");
            Assert.That(summary.GetProperty("state").GetString(), Is.EqualTo("Attack"));
            Assert.That(r.OfKind("transition").Where(t => t.GetProperty("device").GetString() == device).Select(t => (t.GetProperty("from").GetString(), t.GetProperty("to").GetString())),
                Is.EqualTo(new[] { ("Normal", "Attack") }), "the pack's compromise rule, once");
        });
    }

    /// <summary>Replays <paramref name="timeline"/> with a pairing window from its first frame and the Neo's MUD file in the site's MUD folder.</summary>
    private static CliResult ReplayWithMud(TempDir dir, Timeline timeline)
    {
        var mud = Directory.CreateDirectory(dir.File("mud")).FullName;
        File.WriteAllText(Path.Combine(mud, "neo.json"), """
            {"ietf-mud:mud": {"mud-version": 1, "mud-url": "MUD-URL", "systeminfo": "UDOO Neo",
               "from-device-policy": {"access-lists": {"access-list": [{"name": "fr"}]}}},
             "ietf-access-control-list:acls": {"acl": [{"name": "fr", "aces": {"ace": [
               {"name": "dns", "matches": {"udp": {"destination-port": {"operator": "eq", "port": 53}}}, "actions": {"forwarding": "accept"}},
               {"name": "mqtt", "matches": {"ipv4": {"protocol": 6, "destination-ipv4-network": "198.51.100.0/24"}, "tcp": {"destination-port": {"operator": "eq", "port": 8883}}}, "actions": {"forwarding": "accept"}},
               {"name": "cloud", "matches": {"ipv4": {"ietf-acldns:dst-dnsname": "cloud.udoo.example.com", "protocol": 6}}, "actions": {"forwarding": "accept"}}
             ]}}]}}
            """.Replace("MUD-URL", MudUrl, StringComparison.Ordinal));
        var pcap = dir.File("mud.pcap");
        timeline.WritePcap(pcap);
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, $"umboxes: {SiteConfigLoader.DefaultUmboxesDir()}\nunknown-devices: drop\ndevices: []\npanel:\n  mud: {{dir: {mud}}}\n");
        return KalkiEdgeCli.Run("replay", "--pcap", pcap, "--config", config, "--json", "--pair-window", "0", "--network-mac", PairingTraffic.Gateway.Mac);
    }

    [TestCase("soon", "START must be seconds")]
    [TestCase("5+0", "SECONDS must be from 1 to 86400")]
    [TestCase("5+x", "SECONDS must be from 1")]
    public void A_bad_pair_window_is_a_usage_error(string window, string message)
    {
        var r = KalkiEdgeCli.Run("replay", "--pcap", "/nonexistent.pcap", "--pair-window", window);
        Assert.That((r.ExitCode, r.Stderr), Is.EqualTo((2, r.Stderr)));
        Assert.That(r.Stderr, Does.Contain(message));
    }

    [Test]
    public void A_bad_network_mac_is_a_usage_error()
    {
        var r = KalkiEdgeCli.Run("replay", "--pcap", "/nonexistent.pcap", "--pair-window", "0", "--network-mac", "01:00:5e:00:00:01");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Stderr, Does.Contain("--network-mac: '01:00:5e:00:00:01' is not a unicast MAC address"));
    }
}
