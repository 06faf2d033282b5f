using System.Security.Cryptography;
using System.Text.Json;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Packs;
using KalkiEdge.ReplayTests.Eve;
using KalkiEdge.ReplayTests.Scenarios;
using KalkiEdge.Store;
using KalkiEdge.TestKit.Mqtt;
using MQTTnet;

namespace KalkiEdge.ReplayTests.Fleet;

/// <summary>
/// Three `kalki-edge run` processes on one real Mosquitto, as a site runs them: each signs in over TLS with its own
/// user name and password (a password file made by <c>mosquitto_passwd</c>) and is bound to its own topics by the
/// README's ACL; one SIEM user reads everything; one operator commands one appliance. Each appliance's camera is
/// monitored at a loopback port where nothing answers, under the camera pack with a 1 s sampling interval, so its
/// watchdog raises device-unavailable and the pack's rule moves the camera to Suspicious (a real transition with
/// no bridged traffic); the operator's reset moves it back.
/// </summary>
[NonParallelizable]
public class FleetOfAppliancesTests
{
    private static readonly string[] Appliances = ["gw-a", "gw-b", "gw-c"];

    /// <summary>The ACL the README gives a site, plus a SIEM user that reads every appliance's topics.</summary>
    private const string SiteAcl = """
        pattern readwrite kalki/%u/status
        pattern write kalki/%u/devices
        pattern write kalki/%u/health
        pattern write kalki/%u/alerts
        pattern write kalki/%u/transitions
        pattern write kalki/%u/pairing
        pattern write kalki/%u/telemetry
        pattern read kalki/%u/commands/+
        pattern write kalki/%u/replies/+
        pattern write kalki/+/commands/%u
        pattern read kalki/+/replies/%u
        user siem
        topic read kalki/#

        """;

    [Test]
    public void Three_appliances_share_a_broker_each_on_its_own_topics_commands_reach_only_their_appliance_and_an_outage_loses_nothing()
    {
        using var dir = new TempDir();
        using var pki = new TestPki(dir.Path);
        var passwords = new[] { "gw-a", "gw-b", "gw-c", "alice", "siem" }.ToDictionary(u => u, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        using var broker = new MosquittoBroker(dir.Path, pki, SiteAcl, passwords);
        var camera = PackScenarios.Device("dlink-camera");
        var device = camera.Host.Name;
        var configs = Appliances.ToDictionary(id => id, id => SiteConfig(dir, broker, pki, camera, id, passwords[id], NothingListens()));

        var siem = MqttWatcher.ConnectWithPassword(broker, pki, "siem", passwords["siem"], "kalki/+/alerts", "kalki/+/transitions", "kalki/+/status");
        var running = new List<RunningAppliance>();
        MqttWatcher? firstSiem = null;
        var transitionsSeen = new Dictionary<string, List<string>>();
        try
        {
            foreach (var id in Appliances)
            {
                running.Add(RunningAppliance.StartWithSocket(configs[id], Socket(dir, id)));
            }

            var output = () => string.Join("\n----\n", running.Select(r => r.Output)) + broker.Log;
            Assert.That(siem.WaitFor(m => Appliances.All(id => m.Any(x => x.Topic == $"kalki/{id}/status" && x.Payload.Contains("\"online\"", StringComparison.Ordinal))), TimeSpan.FromSeconds(60)), Is.True, output());

            // Each camera's monitor gets no answer: its watchdog alerts and the pack's rule makes it Suspicious.
            Assert.That(siem.WaitFor(m => Appliances.All(id => Transitions(m, id).Contains("Normal->Suspicious by monitor-lost")), TimeSpan.FromSeconds(60)), Is.True, output());

            // Each appliance's alert arrives once, on its own topic, and on no other; the reset moves the camera back.
            foreach (var id in Appliances)
            {
                EveOutputTests.Reset(configs[id], device, $"{id}-first");
            }

            Assert.That(siem.WaitFor(m => Appliances.All(id => Reasons(m, id).Contains($"{id}-first") && Transitions(m, id).Count >= 2), TimeSpan.FromSeconds(30)), Is.True, output());
            foreach (var id in Appliances)
            {
                Assert.That(Reasons(siem.Received, id).Where(i => i.EndsWith("-first", StringComparison.Ordinal)), Is.EqualTo(new[] { $"{id}-first" }), $"{id}: its own alert, exactly once");
            }

            // A command addressed to gw-b is carried out by gw-b alone.
            using var alice = MqttWatcher.ConnectWithPassword(broker, pki, "alice", passwords["alice"], "kalki/+/replies/alice");
            alice.Publish("kalki/gw-b/commands/alice", $$"""{"id":"b1","action":"reset","device":"{{device}}","reason":"only-b"}""");
            Assert.That(alice.WaitFor(m => m.Count >= 1, TimeSpan.FromSeconds(30)), Is.True, output());
            Assert.That(alice.Received[0].Topic, Is.EqualTo("kalki/gw-b/replies/alice"));
            Assert.That(alice.Received[0].Payload, Is.EqualTo("""{"id":"b1","ok":true,"action":"reset"}"""));
            Assert.That(siem.WaitFor(m => Reasons(m, "gw-b").Contains("only-b"), TimeSpan.FromSeconds(30)), Is.True, output());

            // One appliance's credentials cannot speak as another: the broker refuses its topics and its operator name.
            using (var gwA = MqttWatcher.ConnectWithPassword(broker, pki, "gw-a", passwords["gw-a"]))
            {
                Assert.That(gwA.Publish("kalki/gw-b/alerts", """{"event_type":"alert"}"""), Is.EqualTo(MqttClientPublishReasonCode.NotAuthorized));
                Assert.That(gwA.Publish("kalki/gw-b/status", """{"status":"offline"}"""), Is.EqualTo(MqttClientPublishReasonCode.NotAuthorized));
                Assert.That(gwA.Publish("kalki/gw-b/commands/alice", $$"""{"action":"reset","device":"{{device}}","reason":"forged"}"""), Is.EqualTo(MqttClientPublishReasonCode.NotAuthorized));
                // Its own name as an operator passes the broker, and gw-b's allow-list refuses it.
                gwA.Publish("kalki/gw-b/commands/gw-a", $$"""{"action":"reset","device":"{{device}}","reason":"as-itself"}""");
            }

            Assert.That(MqttWatcher.SignIn(broker, pki, "gw-a", passwords["gw-b"]), Is.EqualTo(MqttClientConnectResultCode.NotAuthorized), "another appliance's password");
            Assert.That(MqttWatcher.SignIn(broker, pki, "gw-a", passwords["gw-a"]), Is.EqualTo(MqttClientConnectResultCode.Success));
            running[1].WaitUntil(() => running[1].Printed("operator 'gw-a' is not allowed to command this appliance"));

            // The broker dies while the three keep alerting; everything committed meanwhile arrives, in order, once.
            firstSiem = siem;
            broker.Stop();
            foreach (var id in Appliances)
            {
                EveOutputTests.Reset(configs[id], device, $"{id}-outage-1");
                EveOutputTests.Reset(configs[id], device, $"{id}-outage-2");
            }

            foreach (var r in running)
            {
                r.WaitUntil(() => r.Printed("fleet: disconnected from") || r.Printed("fleet: cannot reach the broker"));
            }

            // The broker keeps no sessions across the outage, so the SIEM subscribes again before any appliance can
            // reconnect: an appliance that delivered its queue first would have it acknowledged and dropped for want of
            // a subscriber (that race, not a loss, is what an unpaused test would see now and then).
            foreach (var r in running)
            {
                r.Pause();
            }

            broker.Start();
            siem = MqttWatcher.ConnectWithPassword(broker, pki, "siem", passwords["siem"], "kalki/+/alerts", "kalki/+/transitions", "kalki/+/status");
            foreach (var r in running)
            {
                r.Resume();
            }

            Assert.That(siem.WaitFor(m => Appliances.All(id => Reasons(m, id).Count(i => i.Contains("-outage-", StringComparison.Ordinal)) >= 2), TimeSpan.FromSeconds(90)), Is.True, output());
            Thread.Sleep(500); // a duplicate would arrive right behind
            foreach (var id in Appliances)
            {
                Assert.That(Reasons(siem.Received, id).Where(i => i.Contains("-outage-", StringComparison.Ordinal)), Is.EqualTo(new[] { $"{id}-outage-1", $"{id}-outage-2" }), $"{id}: in order, exactly once, on its own topic");
            }

            foreach (var r in running)
            {
                r.Terminate();
                Assert.That(r.WaitForExit(TimeSpan.FromSeconds(30)), Is.EqualTo(0), r.Output);
                Assert.That(passwords.Values.Where(r.Output.Contains), Is.Empty, "no broker password in any log line");
            }

            Assert.That(siem.WaitFor(m => Appliances.All(id => m.Any(x => x.Topic == $"kalki/{id}/status" && x.Payload.Contains("\"offline\"", StringComparison.Ordinal))), TimeSpan.FromSeconds(20)), Is.True);
            transitionsSeen = Appliances.ToDictionary(id => id, id => (List<string>)[.. Transitions(firstSiem.Received, id), .. Transitions(siem.Received, id)]);
        }
        finally
        {
            siem.Dispose();
            firstSiem?.Dispose();
            foreach (var r in running)
            {
                r.Dispose();
            }
        }

        foreach (var id in Appliances)
        {
            using var store = KalkiStore.Open(Path.Combine(dir.Path, id, "kalki-edge.db"));
            var audit = store.Column("SELECT actor || ' | ' || action || ' | ' || detail FROM audit_log ORDER BY id").Select(a => (string)a!).ToList();
            var expected = $"operator alice via mqtt | state-reset | {device}: only-b";
            Assert.That(audit.Contains(expected), Is.EqualTo(id == "gw-b"), $"{id}: the command addressed to gw-b\n{string.Join('\n', audit)}");
            Assert.That(audit.Any(a => a.StartsWith("operator gw-a via mqtt | fleet-command-refused", StringComparison.Ordinal)), Is.EqualTo(id == "gw-b"), $"{id}: gw-a acting as an operator");
            Assert.That(store.Count("fleet_outbox"), Is.Zero, $"{id}: everything was delivered");
            var committed = store.Column("SELECT from_state || '->' || to_state || ' by ' || rule FROM transitions ORDER BY id").Select(t => (string)t!).ToList();
            Assert.That(committed, Has.Count.EqualTo(2).And.ItemAt(0).EqualTo("Normal->Suspicious by monitor-lost").And.ItemAt(1).StartsWith("Suspicious->Normal by "), $"{id}: the watchdog's transition, then the operator's reset");
            Assert.That(transitionsSeen[id], Is.EqualTo(committed), $"{id}: every committed transition on its own topic, exactly once, in order");
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>A loopback port nothing listens on (bound, then released): a connection there is refused at once.</summary>
    private static int NothingListens()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string Socket(TempDir dir, string id) => Path.Combine(dir.Path, $"{id}.sock");

    /// <summary>
    /// One appliance's site config: its own data directory, control socket, user name and password file; its camera
    /// monitored at <paramref name="silentPort"/>, under the camera pack edited to sample every second.
    /// </summary>
    private static string SiteConfig(TempDir dir, MosquittoBroker broker, TestPki pki, ScenarioDevice camera, string id, string password, int silentPort)
    {
        var passwordFile = dir.File($"{id}.password");
        File.WriteAllText(passwordFile, password + "\n");
        var dataDir = Path.Combine(dir.Path, id);
        var shipped = File.ReadAllText(Path.Combine(SiteConfigLoader.DefaultUmboxesDir(), "packs", "dlink-camera.yaml"));
        Assert.That(shipped, Does.Contain("\nsampling: 30s\n"), "the shipped camera pack's sampling line");
        Directory.CreateDirectory(EditedPacks.Directory(dataDir));
        File.WriteAllText(EditedPacks.FileFor(dataDir, "dlink-camera"), shipped.Replace("\nsampling: 30s\n", "\nsampling: 1s\n", StringComparison.Ordinal));
        var monitored = camera.ConfigLine[..^1] + $", monitor: {{family: dlink-camera, address: 127.0.0.1, port: {silentPort}, timeout: 500ms}}, credentials: {{user: admin, password: {id}-camera}}}}";
        var config = dir.File($"{id}.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), []).TrimEnd('\n') + "\n" + monitored + "\n"
            + $"data-dir: {dataDir}\nmanagement: {{listen: \"127.0.0.1:0\", control-socket: {Socket(dir, id)}}}\n"
            + $"fleet:\n  broker: \"{broker.PasswordEndpoint}\"\n  appliance-id: {id}\n  ca: {pki.CaFile}\n  username: {id}\n  password-file: {passwordFile}\n  operators: [alice]\n");
        return config;
    }

    /// <summary>Each transition on <paramref name="appliance"/>'s transition topic, in arrival order ("FROM->TO by RULE").</summary>
    private static List<string> Transitions(IEnumerable<ReceivedMessage> messages, string appliance) =>
        [.. messages.Events($"kalki/{appliance}/transitions").Select(e => e.GetProperty("kalki"))
            .Select(k => $"{k.GetProperty("from").GetString()}->{k.GetProperty("to").GetString()} by {k.GetProperty("rule").GetString()}")];

    /// <summary>The reason of each reset alert on <paramref name="appliance"/>'s alert topic, in arrival order ("state reset by X: REASON").</summary>
    private static List<string> Reasons(IEnumerable<ReceivedMessage> messages, string appliance) =>
        [.. messages.Events($"kalki/{appliance}/alerts")
            .Select(e => e.GetProperty("kalki").GetProperty("info").GetString()!)
            .Select(info => info[(info.LastIndexOf(": ", StringComparison.Ordinal) + 2)..])];
}
