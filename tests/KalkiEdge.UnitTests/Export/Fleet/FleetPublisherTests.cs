using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.Export.Events;
using KalkiEdge.Export.Fleet;
using KalkiEdge.TestKit.Mqtt;
using MQTTnet;

namespace KalkiEdge.UnitTests.Export.Fleet;

/// <summary>The fleet publisher against a real Mosquitto (TLS, client certificates, the ACL) and a real store file.</summary>
[NonParallelizable]
public class FleetPublisherTests
{
    [Test]
    public void Events_reach_the_broker_with_retained_status_inventory_and_health_and_offline_is_the_last_word()
    {
        using var f = new FleetFixture();
        var watcher = f.Watch("watcher", "fleet/#");
        using (var publisher = f.Publisher(f.Settings()))
        {
            FleetFixture.WaitFor(() => publisher.Connected, "connected");
            publisher.Publish(FleetFixture.Alert(7));
            publisher.Publish(new TransitionOccurred(new TransitionEvent("cam", "Normal", "Suspicious", "scan", "port-scan", "camera-suspicious", "ips()", false, 1, 2, 3, 4), new DeviceContext("dlink-camera", "Suspicious", "camera-suspicious")));
            Assert.That(watcher.WaitFor(m => m.Any(x => x.Topic == "fleet/gw-a/transitions") && m.Any(x => x.Topic == "fleet/gw-a/health") && m.Any(x => x.Topic == "fleet/gw-a/telemetry"), TimeSpan.FromSeconds(30)), Is.True, f.Log.Text);
            var alert = watcher.Received.Events("fleet/gw-a/alerts").Single();
            Assert.That(alert.GetProperty("event_type").GetString(), Is.EqualTo("alert"));
            Assert.That(alert.GetProperty("kalki").GetProperty("count").GetInt32(), Is.EqualTo(7));
            Assert.That(alert.GetProperty("alert").GetProperty("signature_id").GetInt32(), Is.EqualTo(1));
            Assert.That(JsonDocument.Parse(watcher.On("fleet/gw-a/status").First().Payload).RootElement.GetProperty("status").GetString(), Is.EqualTo("online"));
            var devices = JsonDocument.Parse(watcher.On("fleet/gw-a/devices").Last().Payload).RootElement.GetProperty("devices");
            Assert.That(devices[0].GetProperty("state").GetString(), Is.EqualTo("Suspicious"));
            var telemetry = JsonDocument.Parse(watcher.On("fleet/gw-a/telemetry").First().Payload).RootElement;
            Assert.That(telemetry.GetProperty("alerts").GetProperty("port-scan").GetInt32(), Is.EqualTo(7), "alerts counted by type in the summary");
            FleetFixture.WaitFor(() => publisher.Queued == 0, "acknowledged messages leave the outbox (the acknowledgement can land after the watcher saw the message)");
        }

        Assert.That(watcher.WaitFor(m => m.Any(x => x.Topic == "fleet/gw-a/status" && x.Payload.Contains("offline", StringComparison.Ordinal)), TimeSpan.FromSeconds(20)), Is.True);
        using var late = f.Watch("mallory", "fleet/gw-a/status", "fleet/gw-a/devices", "fleet/gw-a/health");
        Assert.That(late.WaitFor(m => m.Count >= 3, TimeSpan.FromSeconds(20)), Is.True, "status, inventory and health are retained for a subscriber that comes later");
        Assert.That(late.Received, Has.All.Matches<ReceivedMessage>(m => m.Retain));
        Assert.That(late.On("fleet/gw-a/status").Single().Payload, Does.Contain("\"offline\""));
        Assert.That(f.RowsOnDisk(), Is.Zero);
    }

    [Test]
    public void A_burst_travels_as_messages_of_eve_lines_every_event_once_and_in_order()
    {
        using var f = new FleetFixture();
        var watcher = f.Watch("watcher", "fleet/gw-a/alerts");
        using var publisher = f.Publisher(f.Settings());
        FleetFixture.WaitFor(() => publisher.Connected, "connected");
        const int Burst = 3000;
        for (int i = 1; i <= Burst; i++)
        {
            publisher.Publish(FleetFixture.Alert(i));
        }

        Assert.That(watcher.WaitFor(m => m.Events("fleet/gw-a/alerts").Count >= Burst, TimeSpan.FromSeconds(60)), Is.True, f.Log.Text);
        var counts = watcher.Received.Events("fleet/gw-a/alerts").Select(e => e.GetProperty("kalki").GetProperty("count").GetInt32());
        Assert.That(counts, Is.EqualTo(Enumerable.Range(1, Burst)), "every event exactly once, in order (no outage: nothing is sent twice)");
        Assert.That(watcher.Received.Count, Is.LessThan(Burst), "a burst is batched: fewer messages than events");
        Assert.That(watcher.Received, Has.All.Matches<ReceivedMessage>(m => m.ContentType == "application/x-ndjson" && m.Payload.Length <= FleetBatches.MaxBytes));
        FleetFixture.WaitFor(() => publisher.Queued == 0, "outbox emptied");
    }

    [Test]
    public void An_event_queued_while_the_publisher_sleeps_wakes_it_at_once_and_none_waits_for_the_fallback_or_a_gathering()
    {
        using var f = new FleetFixture();
        var watcher = f.Watch("watcher", "fleet/gw-a/alerts");
        // The thread's fallback wait is ten minutes here: an event left for it would miss every bound below.
        using var publisher = f.Publisher(f.Settings() with { SummaryInterval = TimeSpan.FromHours(1) }, idleWait: TimeSpan.FromMinutes(10));
        FleetFixture.WaitFor(() => publisher.Connected, "connected");
        const int Alerts = 20;
        for (int i = 1; i <= Alerts; i++)
        {
            FleetFixture.WaitFor(() => publisher.Asleep, $"the publisher asleep before alert {i}");
            publisher.Publish(FleetFixture.Alert(i));
            Assert.That(watcher.WaitFor(m => m.Events("fleet/gw-a/alerts").Count >= i, TimeSpan.FromSeconds(60)), Is.True, $"alert {i} at the broker\n{f.Log.Text}");
        }

        var counts = watcher.Received.Events("fleet/gw-a/alerts").Select(e => e.GetProperty("kalki").GetProperty("count").GetInt32());
        Assert.That(counts, Is.EqualTo(Enumerable.Range(1, Alerts)));
        Assert.That(publisher.Timings.Sleep.Items, Is.GreaterThan(0), "events ended its sleeps");
        Assert.That(publisher.Timings.Gather.Count, Is.Zero, "no round was held back while the broker answered");
        Assert.That(publisher.Timings.OutboxAppend.Count, Is.Zero, "and none went to disk");
    }

    [Test]
    public void A_siem_reading_the_broker_with_jq_gets_every_alert_with_its_signature_and_addresses_in_order()
    {
        using var f = new FleetFixture();
        var watcher = f.Watch("watcher", "fleet/gw-a/alerts", "fleet/gw-a/transitions");
        using var publisher = f.Publisher(f.Settings());
        FleetFixture.WaitFor(() => publisher.Connected, "connected");
        const int Alerts = 600; // more than one message of lines
        for (int i = 1; i <= Alerts; i++)
        {
            var flow = new FlowTuple(KalkiEdge.DataPlane.Ip.FromV4(0xC6336400 + (uint)(i % 200)), KalkiEdge.DataPlane.Ip.FromV4(0xC0000201), (ushort)(40000 + i), 23, 6);
            publisher.Publish(new AlertEvent(new Alert(AlertTypes.Ips, "cam", AlertSource.Umbox, 1_796_413_579_000_000 + i, $"telnet attempt {i}") { Sid = 2_000_000 + i, Rev = 3, Flow = flow, Count = i, Action = AlertAction.Allowed }, new DeviceContext("dlink-camera", "Suspicious", "camera-suspicious")));
            if (i == Alerts / 2)
            {
                publisher.Publish(new TransitionOccurred(new TransitionEvent("cam", "Normal", "Suspicious", "scan", "port-scan", "camera-suspicious", "ips()", false, 1, 2, 3, 4), new DeviceContext("dlink-camera", "Suspicious", "camera-suspicious")));
            }
        }

        Assert.That(watcher.WaitFor(m => m.Events("fleet/gw-a/alerts").Count >= Alerts && m.Any(x => x.Topic == "fleet/gw-a/transitions"), TimeSpan.FromSeconds(60)), Is.True, f.Log.Text);
        var alertMessages = watcher.On("fleet/gw-a/alerts").ToList();
        Assert.That(alertMessages, Has.Count.GreaterThan(1), "the alerts came batched in several messages");
        Assert.That(alertMessages, Has.All.Matches<ReceivedMessage>(m => m.LineCount <= FleetBatches.MaxLines && m.Payload.Length <= FleetBatches.MaxBytes));

        // Each payload as it came from the broker, fed to jq as a SIEM pipeline would: one rule's filter per line.
        var rule = "select(.event_type==\"alert\" and .alert.action==\"allowed\" and .dest_port==23) | [.alert.signature_id, .src_ip, .src_port, .proto] | @tsv";
        var selected = alertMessages.SelectMany(m => TestKit.Jq.Run(m.Payload, "-r", rule)).ToList();
        Assert.That(selected, Is.EqualTo(Enumerable.Range(1, Alerts).Select(i => $"{2_000_000 + i}\t198.51.100.{i % 200}\t{40000 + i}\tTCP")), "every alert once, in order, with its signature and addresses");
        var transitions = watcher.On("fleet/gw-a/transitions").SelectMany(m => TestKit.Jq.Run(m.Payload, "-c", "select(.event_type==\"kalki_transition\") | [.kalki.device, .kalki.from, .kalki.to]")).ToList();
        Assert.That(transitions, Is.EqualTo(new[] { "[\"cam\",\"Normal\",\"Suspicious\"]" }));
        var perSid = TestKit.Jq.Run(string.Concat(alertMessages.Select(m => m.Payload)), "-s", "-c", "map(select(.alert.signature_id > 2000300)) | length");
        Assert.That(perSid, Is.EqualTo(new[] { $"{Alerts - 300}" }), "the concatenated stream is valid for jq --slurp too");
    }

    [Test]
    public void The_broker_refuses_a_topic_of_another_appliance_and_the_refusal_is_logged_not_retried()
    {
        using var f = new FleetFixture();
        var watcher = f.Watch("watcher", "fleet/#");
        using var publisher = f.Publisher(f.Settings(applianceId: "gw-b")); // gw-a's certificate, gw-b's topics
        publisher.Publish(FleetFixture.Alert(1));
        FleetFixture.WaitFor(() => f.Log.Text.Contains("the broker refused a message on fleet/gw-b/alerts: NotAuthorized", StringComparison.Ordinal), "the alert refused");
        FleetFixture.WaitFor(() => publisher.Queued == 0, "a refused message is not kept for retries");
        Assert.That(f.Log.Text, Does.Contain("the broker refused a message on fleet/gw-b/status: NotAuthorized"));
        Thread.Sleep(500);
        Assert.That(watcher.Received.Where(m => m.Topic.StartsWith("fleet/gw-b/", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void A_broker_outage_keeps_events_on_disk_across_a_restart_and_delivers_them_in_order_when_it_returns()
    {
        using var f = new FleetFixture();
        using (var publisher = f.Publisher(f.Settings()))
        {
            FleetFixture.WaitFor(() => publisher.Connected, "connected");
            f.Broker.Stop();
            for (int i = 1; i <= 50; i++)
            {
                publisher.Publish(FleetFixture.Alert(i));
            }

            FleetFixture.WaitFor(() => f.EventsOnDisk() >= 50, "50 events in the store's outbox");
            Assert.That(f.Log.Text, Does.Contain("messages stay queued on disk").Or.Contain("cannot reach the broker"));
        } // the appliance stops while the broker is away

        Assert.That(f.EventsOnDisk(), Is.GreaterThanOrEqualTo(50));
        f.Broker.Start();
        var watcher = f.Watch("watcher", "fleet/gw-a/alerts");
        using var restarted = f.Publisher(f.Settings());
        Assert.That(watcher.WaitFor(m => m.Events("fleet/gw-a/alerts").Count >= 50, TimeSpan.FromSeconds(30)), Is.True, f.Log.Text);
        var counts = watcher.Received.Events("fleet/gw-a/alerts").Select(e => e.GetProperty("kalki").GetProperty("count").GetInt32()).ToList();
        Assert.That(counts.Distinct(), Is.EqualTo(Enumerable.Range(1, 50)), "every event, in order (a message in flight at the outage may come twice: QoS 1)");
        FleetFixture.WaitFor(() => f.RowsOnDisk() == 0, "outbox emptied");
    }

    [Test]
    public void While_the_broker_answers_events_never_touch_the_disk_and_what_a_hung_broker_left_unacknowledged_is_kept_on_disk_and_delivered_in_order()
    {
        using var f = new FleetFixture();
        var watcher = f.Watch("watcher", "fleet/gw-a/alerts");
        using var publisher = f.Publisher(f.Settings() with { SummaryInterval = TimeSpan.FromHours(1) }); // no health due meanwhile: the alerts meet the hung broker first
        FleetFixture.WaitFor(() => publisher.Connected, "connected");
        for (int i = 1; i <= 100; i++)
        {
            publisher.Publish(FleetFixture.Alert(i));
        }

        Assert.That(watcher.WaitFor(m => m.Events("fleet/gw-a/alerts").Count >= 100, TimeSpan.FromSeconds(30)), Is.True, f.Log.Text);
        Assert.That(publisher.Timings.OutboxAppend.Count, Is.Zero, "published from memory: nothing was written to the outbox");
        Assert.That(f.RowsOnDisk(), Is.Zero);

        // The broker hangs: the publishes of the next events are never acknowledged, so they go to disk.
        f.Broker.Pause();
        for (int i = 101; i <= 300; i++)
        {
            publisher.Publish(FleetFixture.Alert(i));
        }

        FleetFixture.WaitFor(() => f.EventsOnDisk() >= 200, "the unacknowledged events in the outbox", seconds: 90);
        Assert.That(f.Log.Text, Does.Contain("fleet: publishing to fleet/gw-a/alerts failed"));
        Assert.That(publisher.Counters.Dropped + publisher.Counters.Lost, Is.Zero);

        // Back: what the broker read before it hung may arrive too (QoS 1: at least once), then the outbox in order.
        f.Broker.Resume();
        FleetFixture.WaitFor(() => f.RowsOnDisk() == 0 && publisher.Connected, "the outbox delivered after the broker came back", seconds: 90);
        publisher.Publish(FleetFixture.Alert(301));
        Assert.That(watcher.WaitFor(m => m.Events("fleet/gw-a/alerts").Any(e => e.GetProperty("kalki").GetProperty("count").GetInt32() == 301), TimeSpan.FromSeconds(60)), Is.True, f.Log.Text);
        var counts = watcher.Received.Events("fleet/gw-a/alerts").Select(e => e.GetProperty("kalki").GetProperty("count").GetInt32()).ToList();
        Assert.That(counts.Distinct(), Is.EqualTo(Enumerable.Range(1, 301)), "every event, in order of first arrival");
        Assert.That(counts.GroupBy(c => c).Max(g => g.Count()), Is.LessThanOrEqualTo(2), "at most once more, from the outbox");
        Assert.That(counts[^1], Is.EqualTo(301), "the event after the backlog came after all of it");
    }

    [Test]
    public void A_flood_while_the_broker_is_away_keeps_the_newest_events_within_the_limit_and_counts_the_rest()
    {
        using var f = new FleetFixture();
        f.Broker.Stop();
        using (var publisher = f.Publisher(f.Settings(), queueLimit: 100))
        {
            for (int i = 1; i <= 1000; i++)
            {
                publisher.Publish(FleetFixture.Alert(i));
            }

            FleetFixture.WaitFor(() => publisher.Counters.Dropped >= 900 && publisher.Queued == 100, "bounded at 100");
            Assert.That(f.EventsOnDisk(), Is.EqualTo(100));
            Assert.That(f.RowsOnDisk(), Is.InRange(1, 100), "rows are batches of events");
            Assert.That(f.Log.Text, Does.Contain("the outbox is full (100 events): oldest dropped"));
        }

        // The subscriber is there before the appliance comes back: a publisher that reconnected first would
        // deliver to nobody (QoS 1 keeps nothing for a subscriber that has not subscribed yet).
        f.Broker.Start();
        var watcher = f.Watch("watcher", "fleet/gw-a/alerts");
        using var restarted = f.Publisher(f.Settings(), queueLimit: 100);
        Assert.That(watcher.WaitFor(m => m.Events("fleet/gw-a/alerts").Count >= 100, TimeSpan.FromSeconds(30)), Is.True, f.Log.Text);
        var counts = watcher.Received.Events("fleet/gw-a/alerts").Select(e => e.GetProperty("kalki").GetProperty("count").GetInt32()).Distinct();
        Assert.That(counts, Is.EqualTo(Enumerable.Range(901, 100)), "the newest 100, in order");
    }

    [Test]
    public void Commands_are_carried_out_only_for_allowed_operators_and_every_refusal_is_answered_with_its_reason()
    {
        using var f = new FleetFixture();
        using var publisher = f.Publisher(f.Settings());
        FleetFixture.WaitFor(() => publisher.Connected, "connected");
        var alice = f.Watch("alice", "fleet/gw-a/replies/alice");
        var bob = f.Watch("bob", "fleet/gw-a/replies/bob");
        var mallory = f.Watch("mallory");
        Thread.Sleep(300); // the appliance's subscription is in place once it is connected; give the broker a moment

        Assert.That(alice.Publish("fleet/gw-a/commands/alice", """{"id":"c1","action":"reset","device":"cam","reason":"patched"}"""), Is.EqualTo(MqttClientPublishReasonCode.NoMatchingSubscribers).Or.EqualTo(MqttClientPublishReasonCode.Success));
        Assert.That(alice.WaitFor(m => m.Count >= 1, TimeSpan.FromSeconds(20)), Is.True, f.Log.Text);
        Assert.That(alice.Received[0].Payload, Is.EqualTo("""{"id":"c1","ok":true,"action":"reset"}"""));
        Assert.That(f.Operations.Done, Is.EqualTo(new[] { "reset cam by operator alice via mqtt: patched" }));

        bob.Publish("fleet/gw-a/commands/bob", """{"id":"b1","action":"reset","device":"cam"}""");
        Assert.That(bob.WaitFor(m => m.Count >= 1, TimeSpan.FromSeconds(20)), Is.True, f.Log.Text);
        Assert.That(bob.Received[0].Payload, Does.Contain("\"ok\":false").And.Contain("operator 'bob' is not allowed to command this appliance"));

        Assert.That(mallory.Publish("fleet/gw-a/commands/mallory", """{"action":"reset","device":"cam"}"""), Is.EqualTo(MqttClientPublishReasonCode.NotAuthorized), "the broker's ACL stops a client without write access");
        Assert.That(mallory.Publish("fleet/gw-a/commands/alice", """{"action":"reset","device":"cam"}"""), Is.EqualTo(MqttClientPublishReasonCode.NotAuthorized), "and one that writes under another operator's name");

        string[] hostile =
        [
            "not json at all",
            "[1,2,3]",
            new string('[', 200) + new string(']', 200),
            """{"action":"reset"}""",
            """{"action":"explode","device":"cam"}""",
            """{"action":"reset","device":"cam","extra":"x"}""",
            """{"action":"reset","device":"nobody"}""",
            """{"action":7}""",
            "{\"action\":\"reset\",\"device\":\"cam\",\"reason\":\"" + new string('x', 9000) + "\"}",
        ];
        foreach (var payload in hostile)
        {
            alice.Publish("fleet/gw-a/commands/alice", payload);
        }

        Assert.That(alice.WaitFor(m => m.Count >= 1 + hostile.Length, TimeSpan.FromSeconds(20)), Is.True, f.Log.Text);
        var errors = alice.Received.Skip(1).Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("error").GetString()).ToList();
        Assert.That(errors, Has.Exactly(hostile.Length).Items);
        Assert.That(errors[0], Does.StartWith("not JSON"));
        Assert.That(errors[1], Does.StartWith("a command is a JSON object"));
        Assert.That(errors[2], Does.StartWith("not JSON").And.Contain("depth"));
        Assert.That(errors[3], Is.EqualTo("'reset' needs 'device'"));
        Assert.That(errors[4], Does.StartWith("unknown action 'explode'"));
        Assert.That(errors[5], Does.StartWith("unknown field 'extra'"));
        Assert.That(errors[6], Is.EqualTo("no device named 'nobody'"));
        Assert.That(errors[7], Is.EqualTo("'action' must be a string"));
        Assert.That(errors[8], Does.StartWith("a command is at most 4096 bytes"));

        // A payload beyond the appliance's packet limit is never delivered to it; the connection stays healthy.
        alice.Publish("fleet/gw-a/commands/alice", new byte[1 << 20]);
        alice.Publish("fleet/gw-a/commands/alice", """{"id":"c2","action":"pair"}""");
        Assert.That(alice.WaitFor(m => m.Any(x => x.Payload.Contains("c2", StringComparison.Ordinal)), TimeSpan.FromSeconds(20)), Is.True, f.Log.Text);
        Assert.That(f.Operations.Done.Last(), Is.EqualTo("pair by operator alice via mqtt"));
        Assert.That(f.Operations.Audited, Has.Some.Contains("operator bob via mqtt | fleet-command-refused"));
        Assert.That(f.Log.Text, Does.Contain("fleet: command refused: alice: unknown action 'explode'"));
        Assert.That(publisher.Connected, Is.True);
    }

    [Test]
    public void A_flood_of_commands_is_rate_limited_and_publishing_goes_on()
    {
        using var f = new FleetFixture();
        using var publisher = f.Publisher(f.Settings());
        FleetFixture.WaitFor(() => publisher.Connected, "connected");
        var alice = f.Watch("alice", "fleet/gw-a/replies/alice", "fleet/gw-a/alerts");
        Thread.Sleep(300);
        for (int i = 0; i < 300; i++)
        {
            alice.Publish("fleet/gw-a/commands/alice", """{"action":"reset","device":"cam"}""");
        }

        FleetFixture.WaitFor(() => publisher.Counters.Commands >= 300, "every command seen");
        Assert.That(f.Operations.Done.Count, Is.InRange(FleetCommands.Burst, FleetCommands.Burst + 60), "a burst, then a few per second");
        Assert.That(f.Log.Text, Does.Contain("commands arrive faster than 5/s"));
        publisher.Publish(FleetFixture.Alert(1));
        Assert.That(alice.WaitFor(m => m.Any(x => x.Topic == "fleet/gw-a/alerts"), TimeSpan.FromSeconds(20)), Is.True);
    }

    [Test]
    public void A_broker_that_speaks_garbage_or_presents_a_certificate_of_another_ca_is_retried_and_never_crashes_the_appliance()
    {
        using var f = new FleetFixture();
        var garbage = new TcpListener(IPAddress.Loopback, 0);
        garbage.Start();
        var port = ((IPEndPoint)garbage.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            var random = new Random(7);
            while (!stop.IsCancellationRequested)
            {
                using var client = await garbage.AcceptTcpClientAsync(stop.Token);
                var junk = new byte[4096];
                random.NextBytes(junk);
                junk[0] = 0x20; // a CONNACK type byte followed by nonsense lengths
                try
                {
                    await client.GetStream().WriteAsync(junk, stop.Token);
                }
                catch (IOException)
                {
                }
            }
        });
        try
        {
            using (var plain = f.Publisher(new FleetSettings("127.0.0.1", port, "gw-a") { TopicRoot = "fleet", Tls = false }))
            {
                plain.Publish(FleetFixture.Alert(1));
                FleetFixture.WaitFor(() => plain.Counters.ConnectFailures >= 2, "connection attempts fail and are retried");
                Assert.That(plain.Queued, Is.EqualTo(1), "the event waits on disk");
            }

            using var otherDir = new TempDir();
            using var otherCa = new TestPki(otherDir.Path, "another-ca");
            using var distrustful = f.Publisher(f.Settings() with { CaFile = otherCa.CaFile });
            FleetFixture.WaitFor(() => distrustful.Counters.ConnectFailures >= 1, "TLS refused");
            Assert.That(distrustful.Connected, Is.False);
            Assert.That(f.Log.Text, Does.Contain("cannot reach the broker 127.0.0.1:"));
        }
        finally
        {
            stop.Cancel();
            garbage.Stop();
        }
    }
}
