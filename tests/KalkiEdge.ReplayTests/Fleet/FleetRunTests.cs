using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using KalkiEdge.Appliance.Config;
using KalkiEdge.ReplayTests.Eve;
using KalkiEdge.ReplayTests.Scenarios;
using KalkiEdge.Store;
using KalkiEdge.TestKit.Mqtt;
using MQTTnet;

namespace KalkiEdge.ReplayTests.Fleet;

/// <summary>
/// `kalki-edge run` in a fleet: a real Mosquitto (TLS, client certificates, an ACL) started by the test, a real
/// syslog collector on a UDP socket, and the appliance's own control socket to cause events.
/// </summary>
[NonParallelizable]
public class FleetRunTests
{
    [Test]
    public void A_running_appliance_reports_to_its_broker_and_syslog_keeps_events_through_a_broker_outage_and_takes_an_allowed_operators_reset()
    {
        using var dir = new TempDir();
        using var pki = new TestPki(dir.Path);
        using var broker = new MosquittoBroker(dir.Path, pki, MosquittoBroker.FleetAcl);
        using var collector = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var syslogPort = ((IPEndPoint)collector.Client.LocalEndPoint!).Port;
        var (cert, key) = pki.Client("gw-a");
        var socket = dir.File("ctl.sock");
        var camera = PackScenarios.Device("dlink-camera");
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), [camera])
            + $"data-dir: {dir.File("data")}\nmanagement: {{listen: \"127.0.0.1:0\", control-socket: {socket}}}\n"
            + $"eve: {{syslog: {{server: \"127.0.0.1:{syslogPort}\", transport: udp}}}}\n"
            + $"fleet:\n  broker: \"{broker.Endpoint}\"\n  appliance-id: gw-a\n  topic-root: fleet\n  ca: {pki.CaFile}\n  certificate: {cert}\n  key: {key}\n  operators: [alice]\n");
        var device = camera.Host.Name;

        var watcher = MqttWatcher.Connect(broker, pki, "watcher", "fleet/#");
        try
        {
            using var appliance = RunningAppliance.StartWithSocket(config, socket);
            Assert.That(watcher.WaitFor(m => m.Any(x => x.Topic == "fleet/gw-a/devices" && x.Payload.Contains(device, StringComparison.Ordinal)), TimeSpan.FromSeconds(30)), Is.True, "no inventory naming the device:\n" + appliance.Output + broker.Log);
            Assert.That(watcher.On("fleet/gw-a/status").First().Payload, Does.Contain("\"online\""));

            EveOutputTests.Reset(config, device, "first");
            Assert.That(watcher.WaitFor(m => Alerts(m).Any(a => a.Contains("first", StringComparison.Ordinal)), TimeSpan.FromSeconds(30)), Is.True, "no alert for the first reset:\n" + appliance.Output);
            var datagram = collector.ReceiveAsync();
            Assert.That(datagram.Wait(TimeSpan.FromSeconds(20)), Is.True, "syslog datagram from the running appliance");
            var syslog = Encoding.UTF8.GetString(datagram.Result.Buffer);
            Assert.That(syslog, Does.Match(@"^<\d+>1 \S+ \S+ kalki-edge \d+ alert - \{").And.Contain("state reset by operator").And.Contain("first"));

            // The broker dies mid-run; events meanwhile wait in the store and arrive, in order, once it is back. The
            // appliance is frozen while the broker restarts and the watcher subscribes again: it would otherwise
            // deliver the backlog (not retained) before a slow watcher listens.
            watcher.Dispose();
            broker.Stop();
            EveOutputTests.Reset(config, device, "outage-1");
            EveOutputTests.Reset(config, device, "outage-2");
            appliance.WaitUntil(() => appliance.Printed("fleet: disconnected from") || appliance.Printed("fleet: cannot reach the broker"));
            appliance.Pause();
            try
            {
                broker.Start();
                watcher = MqttWatcher.Connect(broker, pki, "watcher", "fleet/#");
            }
            finally
            {
                appliance.Resume();
            }

            Assert.That(watcher.WaitFor(m => Alerts(m).Count(a => a.Contains("outage-", StringComparison.Ordinal)) >= 2, TimeSpan.FromSeconds(60)), Is.True, "the events of the outage did not arrive:\n" + appliance.Output);
            var outage = Alerts(watcher.Received).Where(a => a.Contains("outage-", StringComparison.Ordinal)).Select(a => a.Contains("outage-1", StringComparison.Ordinal) ? 1 : 2).Distinct();
            Assert.That(outage, Is.EqualTo(new[] { 1, 2 }), "delivered in order");

            // An operator on the allow-list resets through the broker; one without write access cannot.
            using var alice = MqttWatcher.Connect(broker, pki, "alice", "fleet/gw-a/replies/alice");
            using var mallory = MqttWatcher.Connect(broker, pki, "mallory");
            appliance.WaitUntil(() => appliance.Lines("fleet: connected to") >= 2); // again, after the outage
            Assert.That(mallory.Publish("fleet/gw-a/commands/mallory", $$"""{"action":"reset","device":"{{device}}","reason":"mallory"}"""), Is.EqualTo(MqttClientPublishReasonCode.NotAuthorized));
            alice.Publish("fleet/gw-a/commands/alice", $$"""{"id":"r1","action":"reset","device":"{{device}}","reason":"via-mqtt"}""");
            Assert.That(alice.WaitFor(m => m.Count >= 1, TimeSpan.FromSeconds(30)), Is.True, "no reply to alice's reset:\n" + appliance.Output);
            Assert.That(alice.Received[0].Payload, Is.EqualTo("""{"id":"r1","ok":true,"action":"reset"}"""));
            Assert.That(watcher.WaitFor(m => Alerts(m).Any(a => a.Contains("state reset by operator alice via mqtt: via-mqtt", StringComparison.Ordinal)), TimeSpan.FromSeconds(30)), Is.True, "no alert for alice's reset:\n" + appliance.Output);
            alice.Publish("fleet/gw-a/commands/alice", "{\"action\":\"pair\"}");
            Assert.That(alice.WaitFor(m => m.Count >= 2, TimeSpan.FromSeconds(30)), Is.True, "no reply to alice's pairing request:\n" + appliance.Output);
            Assert.That(alice.Received[1].Payload, Does.Contain("pairing is off on this appliance"));

            appliance.Terminate();
            Assert.That(appliance.WaitForExit(TimeSpan.FromSeconds(30)), Is.EqualTo(0), appliance.Output);
            Assert.That(watcher.WaitFor(m => m.Any(x => x.Topic == "fleet/gw-a/status" && x.Payload.Contains("offline", StringComparison.Ordinal)), TimeSpan.FromSeconds(20)), Is.True);
            Assert.That(Alerts(watcher.Received).Where(a => a.Contains("mallory", StringComparison.Ordinal)), Is.Empty);
        }
        finally
        {
            watcher.Dispose();
        }

        using var store = KalkiStore.Open(Path.Combine(dir.File("data"), "kalki-edge.db"));
        var audit = store.Column("SELECT actor || ' | ' || action || ' | ' || detail FROM audit_log ORDER BY id").Select(a => (string)a!).ToList();
        Assert.That(audit, Has.Some.EqualTo($"operator alice via mqtt | state-reset | {device}: via-mqtt"));
        Assert.That(audit, Has.Some.StartsWith("operator alice via mqtt | fleet-command-refused | pairing is off"));
        Assert.That(store.Count("fleet_outbox"), Is.Zero, "everything was delivered");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Test]
    public void Check_reports_a_bad_fleet_section_with_its_line()
    {
        using var dir = new TempDir();
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), [PackScenarios.Device("dlink-camera")])
            + "fleet:\n  broker: \"192.0.2.10:8883\"\n  appliance-id: gw-a\n  tls: false\n  operaters: [alice]\n");
        var check = KalkiEdgeCli.Run("check", "--config", config);
        Assert.That(check.ExitCode, Is.EqualTo(1));
        Assert.That(check.Stderr, Does.Contain("site.yaml:").And.Contain("plain MQTT is allowed only to a broker on this machine"));
        Assert.That(check.Stderr, Does.Contain("unknown argument 'operaters' (did you mean 'operators'?)"));
    }

    private static List<string> Alerts(IEnumerable<ReceivedMessage> messages) =>
        [.. messages.Events("fleet/gw-a/alerts").Select(e => e.GetProperty("kalki").GetProperty("info").GetString()!)];
}
