using System.Text;
using KalkiEdge.ControlPlane;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.TestKit.Mqtt;
using MQTTnet;
using MQTTnet.Protocol;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// The MQTT family through a real Mosquitto broker (Debian's <c>mosquitto</c>, a password login): a device publishes
/// its readings, the monitor maps them and publishes commands; malformed, oversized and silent devices get their status.
/// </summary>
public sealed class MqttMonitorTests
{
    private const string PlugPack = """
        type: mqtt-plug
        sampling: 60s
        sensors: {on: bool, power-w: decimal, label: string}
        commands: [turn-off, turn-on]
        chains: {Normal: open, Suspicious: watched, Attack: closed}
        rules:
          - {name: silent, from: Normal, to: Suspicious, priority: 5, window: 1min, when: {alert: device-unavailable}}
        """;

    private string _dir = null!;
    private MosquittoBroker _broker = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("kalki-mqtt-monitor-").FullName;
        _broker = new MosquittoBroker(_dir, "site", "broker-pass-31x");
    }

    [TearDown]
    public void TearDown()
    {
        _broker.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void Readings_published_by_the_device_arrive_and_commands_are_published_to_its_topic()
    {
        using var h = Started(out var device, "broker-pass-31x");
        using var plug = Client("plug-1");
        var commands = new List<string>();
        plug.ApplicationMessageReceivedAsync += e =>
        {
            lock (commands)
            {
                commands.Add(Encoding.UTF8.GetString(e.ApplicationMessage.Payload));
            }

            return Task.CompletedTask;
        };
        plug.SubscribeAsync("site/plug-1/set", MqttQualityOfServiceLevel.AtLeastOnce).Wait(TimeSpan.FromSeconds(10));

        Assert.That(MonitorHarness.Eventually(() => Publish(plug, """{"relay": {"on": true}, "power": 1234.5, "label": "heater"}""") && h.Controller.Latest("plug", "power-w") is not null), Is.True, string.Join("\n", h.LogLines()));
        Assert.Multiple(() =>
        {
            Assert.That(h.Controller.Latest("plug", "on"), Is.EqualTo(EvValue.Of(true)));
            Assert.That(h.Controller.Latest("plug", "power-w"), Is.EqualTo(EvValue.Of(1234.5m)));
            Assert.That(h.Controller.Latest("plug", "label"), Is.EqualTo(EvValue.Of("heater")));
        });

        h.Monitors.Send("plug", "turn-off");
        Assert.That(MonitorHarness.Eventually(() => { lock (commands) { return commands.Contains("{\"command\":\"turn-off\"}"); } }), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(MonitorHarness.Eventually(() => h.Monitors.CommandsSent == 1), Is.True);
        Assert.That(device.Monitor.Polls, Is.False);
    }

    [TestCase("{\"relay\": {\"on\": tru", "site/plug-1/state: malformed JSON")]
    [TestCase("{\"relay\": {\"on\": 1}, \"power\": 5, \"label\": \"x\"}", "on: the number 1 is not a bool")]
    [TestCase("{\"power\": 5}", "on: the answer has no field 'relay.on'")]
    public void A_malformed_message_gets_a_clear_status_and_no_reading(string payload, string expected)
    {
        using var h = Started(out var device, "broker-pass-31x");
        using var plug = Client("plug-1");

        Assert.That(MonitorHarness.Eventually(() => Publish(plug, payload) && device.LastError is not null), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(device.LastError, Does.StartWith(expected));
        Assert.That(h.Controller.Latest("plug", "on"), Is.Null);
    }

    [Test]
    public void A_message_over_the_limit_is_refused_by_its_size_and_a_huge_one_never_reaches_the_monitor()
    {
        using var h = Started(out var device, "broker-pass-31x");
        using var plug = Client("plug-1");

        Assert.That(MonitorHarness.Eventually(() => Publish(plug, "{\"pad\": \"" + new string('x', 100_000) + "\"}") && device.LastError is not null), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(device.LastError, Does.Match(@"^site/plug-1/state: message of \d+ bytes is over the 65536-byte limit$"));
        Publish(plug, "{\"pad\": \"" + new string('y', 3 << 20) + "\"}");
        Publish(plug, """{"relay": {"on": false}, "power": 0, "label": "after"}""");
        Assert.That(MonitorHarness.Eventually(() => Equals(h.Controller.Latest("plug", "label"), EvValue.Of("after"))), Is.True,
            "the broker keeps a message over the monitor's packet limit from it; the next one arrives");
    }

    [Test]
    public void A_wrong_broker_password_is_a_status_never_showing_the_password_and_the_silent_device_goes_unavailable()
    {
        using var h = Started(out var device, "wrong-broker-pass-55", samplingMicros: 200_000);

        Assert.That(MonitorHarness.Eventually(() => device.LastError is not null), Is.True);
        Assert.That(device.LastError, Does.StartWith($"broker 127.0.0.1:{_broker.Port}: connection refused"));
        Assert.That(MonitorHarness.Eventually(() => h.AlertsOf(AlertTypes.DeviceUnavailable).Length > 0, 10), Is.True);
        h.Monitors.Send("plug", "turn-on");
        Assert.That(MonitorHarness.Eventually(() => h.AlertsOf(AlertTypes.CommandFailed).Length == 1, 15), Is.True);
        Assert.That(h.AlertsOf(AlertTypes.CommandFailed)[0].Info, Does.Contain("not connected to the broker"));
        var everything = string.Join("\n", h.LogLines()) + string.Join("\n", h.Alerts.Select(a => a.Info)) + device.LastError;
        Assert.That(everything, Does.Not.Contain("wrong-broker-pass-55"));
    }

    private MonitorHarness Started(out MonitoredDevice device, string password, long? samplingMicros = null)
    {
        var h = new MonitorHarness(PlugPack);
        device = h.Add("plug", "mqtt-plug",
            $"{{family: mqtt, broker: 127.0.0.1, broker-port: {_broker.Port}, topic: site/plug-1/state, fields: {{on: relay.on, power-w: power, label: label}}, command-topic: site/plug-1/set, commands: [turn-off, turn-on], timeout: 2s}}",
            $"{{user: site, password: {password}}}", samplingMicros);
        h.Start(new MonitorOptions { CommandAttempts = 2, CommandBackoff = TimeSpan.FromMilliseconds(50) });
        return h;
    }

    private IMqttClient Client(string id)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _broker.Port).WithClientId(id).WithCredentials("site", "broker-pass-31x").Build();
        client.ConnectAsync(options).Wait(TimeSpan.FromSeconds(10));
        Assert.That(client.IsConnected, Is.True, _broker.Log);
        return client;
    }

    /// <summary>Publishes as the device does (retried by <see cref="MonitorHarness.Eventually"/> until the monitor has subscribed).</summary>
    private static bool Publish(IMqttClient client, string payload)
    {
        client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("site/plug-1/state").WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build())
            .Wait(TimeSpan.FromSeconds(10));
        Thread.Sleep(100);
        return true;
    }
}
