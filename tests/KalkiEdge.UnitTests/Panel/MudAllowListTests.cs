using System.Text;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Mud;
using KalkiEdge.Panel.Pairing;
using KalkiEdge.UnitTests.Registry;
using KalkiEdge.UnitTests.Support;
using FrameVerdict = KalkiEdge.DataPlane.Verdict;

namespace KalkiEdge.UnitTests.Panel;

/// <summary>
/// A paired device's MUD file as its own egress allow-list, through the real admission (registry, store, control
/// plane, engine): resolved off the pairing thread from the site's MUD folder, then in force make-before-break.
/// Frames through the engine show which egress the device's chain allows before and after.
/// </summary>
public class MudAllowListTests
{
    private const string UdooMac = "00:c0:08:9a:bc:de";
    private const string UdooIp = "192.0.2.24";
    private const string Url = "https://udoo.example.com/mud/neo";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private string _dir = null!;
    private RegistrySite _site = null!;
    private readonly List<Alert> _alerts = [];
    private readonly List<string> _log = [];

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("kalki-mudlist-").FullName;
        _site = new RegistrySite(_dir);
        ListenForAlerts();
        _alerts.Clear();
        _log.Clear();
    }

    [TearDown]
    public void TearDown()
    {
        _site.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>MQTT over TLS to one /24 and NTP; the web server on port 8080 for the local network.</summary>
    public static string Neo(string url = Url) => """
        {"ietf-mud:mud": {"mud-version": 1, "mud-url": "MUD-URL", "systeminfo": "UDOO Neo",
           "from-device-policy": {"access-lists": {"access-list": [{"name": "fr"}]}},
           "to-device-policy": {"access-lists": {"access-list": [{"name": "to"}]}}},
         "ietf-access-control-list:acls": {"acl": [
           {"name": "fr", "aces": {"ace": [
             {"name": "mqtt", "matches": {"ipv4": {"protocol": 6, "destination-ipv4-network": "198.51.100.0/24"}, "tcp": {"destination-port": {"operator": "eq", "port": 8883}}}, "actions": {"forwarding": "accept"}},
             {"name": "ntp", "matches": {"udp": {"destination-port": {"operator": "eq", "port": 123}}}, "actions": {"forwarding": "accept"}}]}},
           {"name": "to", "aces": {"ace": [
             {"name": "web", "matches": {"tcp": {"ietf-mud:direction-initiated": "to-device", "destination-port": {"operator": "eq", "port": 8080}}}, "actions": {"forwarding": "accept"}},
             {"name": "answers", "matches": {"tcp": {"ietf-mud:direction-initiated": "from-device", "source-port": {"operator": "eq", "port": 8883}}}, "actions": {"forwarding": "accept"}}]}}]}}
        """.Replace("MUD-URL", url, StringComparison.Ordinal);

    [Test]
    public void The_mud_file_replaces_the_packs_allow_list_for_this_device_and_keeps_its_link_services()
    {
        var outcome = Pair(Neo());

        Assert.That(outcome, Does.Contain($"mud {Url}: the device's allow-list is now its 2 declared rules and service ports 8080"));
        Assert.That(outcome, Does.Contain("declared beyond pack udoo-neo's: {proto: tcp, rport: 8883, remote: 198.51.100.0/24}"));
        var chain = _site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(UdooMac))!.Chain!;
        Assert.That(chain.Definition.Text, Does.EndWith($"[egress-guard allow-list from MUD {Url}]"));
        Assert.Multiple(() =>
        {
            Assert.That(Egress("198.51.100.7", 8883), Is.True, "declared by the maker");
            Assert.That(Egress("203.0.113.9", 123, udp: true), Is.True, "declared by the maker");
            Assert.That(Egress("255.255.255.255", 67, udp: true), Is.True, "DHCP: a link service the pack allows stays");
            Assert.That(Egress("224.0.0.251", 5353, udp: true), Is.True, "mDNS: a link service the pack allows stays");
            Assert.That(Egress("203.0.113.9", 443), Is.False, "the pack allowed 443 anywhere; the maker does not declare it");
        });
    }

    /// <summary>
    /// A pack that does not restrict egress (generic-iot, which a device paired below the confidence threshold gets)
    /// still gets the maker's list: an egress-guard at the end of its chain, enforcing the file like a pack's own.
    /// </summary>
    [Test]
    public void A_pack_without_an_egress_guard_gets_one_at_the_end_of_its_chain_from_the_mud_file()
    {
        var outcome = Pair(Neo(), "generic-iot");

        Assert.That(outcome, Does.Contain($"mud {Url}: the device's allow-list is now its 2 declared rules and service ports 8080"));
        Assert.That(Chain(), Does.StartWith("port-scan(").And.EndWith($"[egress-guard allow-list from MUD {Url}]"));
        Assert.Multiple(() =>
        {
            Assert.That(Egress("198.51.100.7", 8883), Is.True, "declared by the maker");
            Assert.That(Egress("255.255.255.255", 67, udp: true), Is.True, "DHCP: the pack allowed all egress, so its link services stay");
            Assert.That(Through(Frames.Tcp(UdooIp, 41002, "203.0.113.9", 443, TcpFlagsBuilder.SynOnly, "", UdooMac, Frames.GatewayMac), Direction.FromDevice),
                Is.EqualTo((FrameVerdict.Drop, true)), "generic-iot allowed it; the maker does not declare it, so it never leaves");
        });
    }

    /// <summary>
    /// The maker's list is enforced, not only watched: the first packet of a flow the file does not declare is
    /// dropped, with the alert the pack's rule acts on (udoo-neo: abnormal-egress moves Normal to Attack). The
    /// device's answers to a flow opened toward it, on a port neither the file nor the pack names, are no egress.
    /// </summary>
    [Test]
    public void An_undeclared_flow_is_dropped_from_its_first_packet_alerted_and_quarantined_while_answers_pass()
    {
        Pair(Neo());
        var device = Paired();

        var (answerSynAck, answerAlerted) = Through(Frames.Tcp(UdooIp, 2222, "203.0.113.50", 41000, TcpFlagsBuilder.SynAck, "", UdooMac, Frames.GatewayMac), Direction.FromDevice,
            inboundFirst: Frames.Tcp("203.0.113.50", 41000, UdooIp, 2222, TcpFlagsBuilder.SynOnly, "", Frames.GatewayMac, UdooMac));
        var (answerData, dataAlerted) = Through(Frames.Tcp(UdooIp, 2222, "203.0.113.50", 41000, TcpFlagsBuilder.PshAck, "banner", UdooMac, Frames.GatewayMac), Direction.FromDevice);
        var (declared, declaredAlerted) = Through(Frames.Tcp(UdooIp, 41001, "198.51.100.7", 8883, TcpFlagsBuilder.SynOnly, "", UdooMac, Frames.GatewayMac), Direction.FromDevice);
        Assert.Multiple(() =>
        {
            Assert.That((answerSynAck, answerAlerted), Is.EqualTo((FrameVerdict.Forward, false)), "the device answers a connection opened toward it");
            Assert.That((answerData, dataAlerted), Is.EqualTo((FrameVerdict.Forward, false)), "and goes on answering in that flow");
            Assert.That((declared, declaredAlerted), Is.EqualTo((FrameVerdict.Forward, false)), "declared by the maker");
            Assert.That(_site.Appliance.Control.Devices[device].State, Is.EqualTo("Normal"));
        });

        var (first, firstAlerted) = Through(Frames.Tcp(UdooIp, 41002, "203.0.113.9", 443, TcpFlagsBuilder.SynOnly, "", UdooMac, Frames.GatewayMac), Direction.FromDevice);

        Assert.That((first, firstAlerted), Is.EqualTo((FrameVerdict.Drop, true)), "the pack allows 443 anywhere; the maker does not, so its first packet never leaves");
        lock (_alerts)
        {
            Assert.That(_alerts.Single(a => a.Type == AlertTypes.AbnormalEgress).Info, Does.Contain("203.0.113.9:443").And.Contain("dropped"));
        }

        Assert.That(_site.Appliance.Control.Devices[device].State, Is.EqualTo("Attack"), "the frame's alerts are evaluated after it: the pack's rule for abnormal egress still moves the device");
    }

    [Test]
    public void The_mud_allow_list_is_kept_in_the_store_and_in_force_again_after_a_restart()
    {
        Assert.That(Pair(Neo()), Does.Contain("the device's allow-list is now its 2 declared rules"));
        File.Delete(Path.Combine(_dir, "mud", "neo.json")); // the restart must not need the folder: the store has the file

        Restart();

        var chain = _site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(UdooMac))!.Chain!;
        Assert.That(chain.Definition.Text, Does.EndWith($"[egress-guard allow-list from MUD {Url}]"));
        Assert.That(_site.Appliance.Registry.MudOf(Paired())?.Url, Is.EqualTo(Url));
        Assert.That(_site.Appliance.Registry.StartupNotes, Has.Some.Contain($"mud {Url}: the device's allow-list is now its 2 declared rules"), "said at start");
        Assert.Multiple(() =>
        {
            Assert.That(Egress("198.51.100.7", 8883), Is.True, "declared by the maker");
            Assert.That(Egress("203.0.113.9", 443), Is.False, "the pack allowed 443 anywhere; after the restart the maker's list still rules");
        });
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "data", KalkiEdge.Appliance.Control.ControlWiring.StoreFileName)};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT mud_url, length(mud_file) FROM runtime_devices WHERE mac = $m";
        cmd.Parameters.AddWithValue("$m", UdooMac);
        using var row = cmd.ExecuteReader();
        Assert.That(row.Read(), Is.True, "the paired device's row");
        Assert.That((row.GetString(0), row.GetInt64(1)), Is.EqualTo((Url, (long)Encoding.UTF8.GetByteCount(Neo()))), "the file as it was resolved");
    }

    [Test]
    public void An_edit_that_keeps_the_type_keeps_the_mud_allow_list_and_a_change_of_type_drops_it()
    {
        Pair(Neo());
        var spec = _site.Appliance.Registry.Find(Paired())!.Spec;
        Restart(); // the pairing's queued commits are in the store

        // Chains only: a frame outside the list would move the device to Attack, whose chain the file does not narrow.
        Assert.That(_site.Appliance.Registry.Update(spec.Name, spec with { Name = "workshop-neo", Description = "edited" }, "test").Succeeded, Is.True);
        Assert.That(Chain(), Does.EndWith($"[egress-guard allow-list from MUD {Url}]"), "same type: the maker's list stays");
        Restart();
        Assert.That(Chain(), Does.EndWith($"[egress-guard allow-list from MUD {Url}]"), "renamed: the store moved the file with the device");

        var name = Paired();
        Assert.That(name, Is.EqualTo("workshop-neo"));
        Assert.That(_site.Appliance.Registry.Update(name, spec with { Name = name, Type = "generic-iot" }, "test").Succeeded, Is.True);
        Assert.That(Chain(), Does.Not.Contain("MUD"), "another type: the file described the device as the other pack saw it");
        Restart();
        Assert.That(Chain(), Does.Not.Contain("MUD"), "and the store dropped it too");
        Assert.That(_site.Appliance.Registry.MudOf(name), Is.Null);
    }

    [Test]
    public void A_tampered_mud_file_in_the_store_is_said_at_start_and_the_packs_allow_list_stays()
    {
        Pair(Neo());
        Restart(); // the store writer has committed the file
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "data", KalkiEdge.Appliance.Control.ControlWiring.StoreFileName)};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE runtime_devices SET mud_file = '{\"ietf-mud:mud\": [' WHERE mud_url IS NOT NULL";
            Assert.That(cmd.ExecuteNonQuery(), Is.EqualTo(1));
        }

        Restart();

        Assert.That(Chain(), Does.Not.Contain("MUD"));
        Assert.That(_site.Appliance.Registry.StartupNotes, Has.Some.Contain("the store's file is refused").And.Contain("the pack's allow-list stays in force"));
        Assert.That(Egress("203.0.113.9", 443), Is.True, "the pack's allow-list: the device is defended, never left open");
    }

    [TestCase("", "not a MUD file")]
    [TestCase("""{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://other.example.com/x"}}""", "the file is for https://other.example.com/x")]
    [TestCase("""{"ietf-mud:mud": {"mud-version": 1, "mud-url": "MUD-URL", "from-device-policy": {"access-lists": {"access-list": [{"name": "nowhere"}]}}}}""", "access list 'nowhere' is named but not defined")]
    public void A_refused_mud_file_is_said_and_the_packs_allow_list_stays(string file, string why)
    {
        var outcome = Pair(file.Replace("MUD-URL", Url, StringComparison.Ordinal));

        Assert.That(outcome, Does.StartWith("mud refused: ").And.Contain(why).And.EndWith("the pack's allow-list stays in force"));
        Assert.That(_log, Has.Some.Contain(outcome));
        Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(UdooMac))!.Chain!.Definition.Text, Does.Not.Contain("MUD"));
        Assert.That(Egress("203.0.113.9", 443), Is.True, "the pack's allow-list");
    }

    [Test]
    public void An_oversized_mud_file_is_refused_without_being_read()
    {
        var outcome = Pair("{\"x\": \"" + new string('a', MudFile.MaxBytes) + "\"}");
        Assert.That(outcome, Does.Contain($"more than the {MudFile.MaxBytes} accepted"));
    }

    private void ListenForAlerts() => _site.Appliance.Control.AlertEvaluated += a =>
    {
        lock (_alerts)
        {
            _alerts.Add(a);
        }
    };

    /// <summary>The same site stopped and started again from its files; its alerts are listened to again.</summary>
    private void Restart()
    {
        _site.Restart();
        ListenForAlerts();
    }

    private string Chain() => _site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(UdooMac))!.Chain!.Definition.Text;

    private string Paired() => _site.Appliance.Registry.List().Single(d => d.Spec.Mac == UdooMac).Spec.Name;

    /// <summary>Admits the Neo (as <paramref name="pack"/>) with the MUD URL through the real admission and waits for its MUD outcome.</summary>
    private string Pair(string mudFile, string pack = "udoo-neo")
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "mud")).FullName;
        File.WriteAllText(Path.Combine(folder, "neo.json"), mudFile, Encoding.UTF8);
        var source = new MudSource(new MudSettings(folder, false, null, null, TimeSpan.FromSeconds(5)));
        var admission = new MudAdmission(new RegistryAdmission(_site.Appliance.Registry), source, _site.Appliance, Log);
        var verdict = Verdict(pack);
        var result = admission.Admit(verdict, _ => { });
        Assert.That(result.Admitted, Is.True, result.Detail);
        Assert.That(result.Detail, Does.Contain("resolving, the pack's allow-list meanwhile"), "admitted without waiting for the file");
        var outcome = admission.Outcome(verdict.DeviceName)!;
        Assert.That(outcome.Wait(Patience), Is.True);
        return outcome.Result;
    }

    private void Log(string line)
    {
        lock (_log)
        {
            _log.Add(line);
        }
    }

    private static PairingVerdict Verdict(string pack = "udoo-neo") =>
        new(RegistrySite.MacOf(UdooMac), pack, 90, false, "oui Seco; dhcp vendor-class dhcpcd") { MudUrl = Url };

    /// <summary>True when a new device-opened flow to <paramref name="remote"/> passes egress-guard without an abnormal-egress alert.</summary>
    private bool Egress(string remote, ushort port, bool udp = false)
    {
        var sport = (ushort)Random.Shared.Next(40000, 60000);
        var frame = udp ? Frames.Udp(UdooIp, sport, remote, port, "x", UdooMac, Frames.GatewayMac) : Frames.Tcp(UdooIp, sport, remote, port, TcpFlagsBuilder.SynOnly, "", UdooMac, Frames.GatewayMac);
        return !Through(frame, Direction.FromDevice).Alerted;
    }

    /// <summary>
    /// One frame through the engine (after <paramref name="inboundFirst"/>, toward the device, when given): its
    /// verdict and whether it raised abnormal-egress.
    /// </summary>
    private (FrameVerdict Verdict, bool Alerted) Through(byte[] bytes, Direction direction, byte[]? inboundFirst = null)
    {
        if (inboundFirst is not null)
        {
            Assert.That(Through(inboundFirst, Direction.ToDevice).Verdict, Is.EqualTo(FrameVerdict.Forward), "the connection toward the device");
        }

        lock (_alerts)
        {
            _alerts.Clear();
        }

        var frame = new Frame();
        frame.Load(bytes, 5_000_000, direction);
        _site.Appliance.BeginFrame(5_000_000);
        var verdict = _site.Appliance.Engine.Process(frame, _site.Context);
        _site.Appliance.EndFrame();
        lock (_alerts)
        {
            return (verdict, _alerts.Any(a => a.Type == AlertTypes.AbnormalEgress));
        }
    }
}
