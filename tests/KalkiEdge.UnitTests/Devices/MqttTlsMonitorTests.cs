using System.Text;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.TestKit.Mqtt;
using MQTTnet;
using MQTTnet.Protocol;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// The MQTT family over TLS to a real Mosquitto started with a CA made by the test: the broker's certificate pinned
/// to the site CA file, a password or a client certificate as the login; another CA's or another name's broker is
/// refused with a status saying which check failed, and no reading is taken from it.
/// </summary>
public sealed class MqttTlsMonitorTests
{
    private const string PlugPack = """
        type: mqtt-plug
        sampling: 60s
        sensors: {on: bool, power-w: decimal}
        commands: [turn-off, turn-on]
        chains: {Normal: open, Suspicious: open, Attack: open}
        """;

    private const string Acl = """
        user site
        topic readwrite site/#
        user plug-monitor
        topic readwrite site/#

        """;

    private string _dir = null!;
    private TestPki _pki = null!;
    private MosquittoBroker _broker = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("kalki-mqtt-tls-").FullName;
        _pki = new TestPki(_dir);
        _broker = new MosquittoBroker(_dir, _pki, Acl, new Dictionary<string, string> { ["site"] = "broker-pass-tls-7" });
    }

    [TearDown]
    public void TearDown()
    {
        _broker.Dispose();
        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void Over_tls_pinned_to_the_site_ca_with_a_password_readings_arrive_and_commands_leave()
    {
        using var h = Started(out var device, $"broker-port: {_broker.PasswordPort}, ca: {_pki.CaFile}", "{user: site, password: broker-pass-tls-7}");
        using var plug = Device();
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

        Assert.That(MonitorHarness.Eventually(() => Publish(plug) && h.Controller.Latest("plug", "power-w") is not null, 30), Is.True, string.Join("\n", h.LogLines()) + _broker.Log);
        Assert.That(h.Controller.Latest("plug", "power-w"), Is.EqualTo(EvValue.Of(812.5m)));
        h.Monitors.Send("plug", "turn-off");
        Assert.That(MonitorHarness.Eventually(() => { lock (commands) { return commands.Contains("{\"command\":\"turn-off\"}"); } }, 30), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(device.LastError, Is.Null);
    }

    [Test]
    public void Over_tls_with_a_client_certificate_as_the_login_readings_arrive()
    {
        var (cert, key) = _pki.Client("plug-monitor");
        using var h = Started(out var device, $"broker-port: {_broker.Port}, ca: {_pki.CaFile}, certificate: {cert}, key: {key}", null);
        using var plug = Device();

        Assert.That(MonitorHarness.Eventually(() => Publish(plug) && h.Controller.Latest("plug", "power-w") is not null, 30), Is.True, string.Join("\n", h.LogLines()) + _broker.Log);
        Assert.That(device.LastError, Is.Null);
    }

    [Test]
    public void A_broker_of_another_ca_is_refused_with_a_clear_status_and_gives_no_reading()
    {
        var otherDir = Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName;
        using var other = new TestPki(otherDir, "someone-elses-ca");
        using var h = Started(out var device, $"broker-port: {_broker.PasswordPort}, ca: {other.CaFile}", "{user: site, password: broker-pass-tls-7}");
        using var plug = Device();

        Assert.That(MonitorHarness.Eventually(() => device.LastError is not null, 30), Is.True, string.Join("\n", h.LogLines()));
        Publish(plug);
        Assert.That(device.LastError, Is.EqualTo($"broker 127.0.0.1:{_broker.PasswordPort}: TLS refused: its certificate is not signed by the site's CA (wrong CA file, or a broker that is not the site's)"));
        Assert.That(h.Controller.Latest("plug", "power-w"), Is.Null);
        Assert.That(string.Join("\n", h.LogLines()), Does.Not.Contain("broker-pass-tls-7"));
    }

    [Test]
    public void A_broker_whose_certificate_names_another_host_is_refused()
    {
        using var h = Started(out var device, $"broker-port: {_broker.PasswordPort}, ca: {_pki.CaFile}, server-name: broker.site.example", "{user: site, password: broker-pass-tls-7}");

        Assert.That(MonitorHarness.Eventually(() => device.LastError is not null, 30), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(device.LastError, Is.EqualTo($"broker 127.0.0.1:{_broker.PasswordPort}: TLS refused: its certificate is not issued for broker.site.example"));
    }

    [Test]
    public void Tls_settings_are_checked_with_their_place()
    {
        var (cert, _) = _pki.Client("plug-monitor");
        var empty = Path.Combine(_dir, "empty.pem");
        File.WriteAllText(empty, "");
        Assert.Multiple(() =>
        {
            Assert.That(Errors("ca: site-ca.pem"), Is.EqualTo(new[] { "'ca' must be an absolute path, got 'site-ca.pem'" }));
            Assert.That(Errors($"ca: {empty}"), Has.One.StartsWith($"the CA file '{empty}' cannot be used: "));
            Assert.That(Errors($"ca: {Path.Combine(_dir, "absent.pem")}"), Has.One.StartsWith("the CA file"));
            Assert.That(Errors($"ca: {_pki.CaFile}, certificate: {cert}"), Is.EqualTo(new[] { "a client certificate needs both 'certificate' and 'key' (PEM files)" }));
            Assert.That(Errors($"tls: false, ca: {_pki.CaFile}"), Is.EqualTo(new[] { "'ca' is a TLS setting, but tls is false" }));
            Assert.That(Errors($"ca: {_pki.CaFile}"), Is.Empty);
        });
    }

    private static List<string> Errors(string tls)
    {
        var diagnostics = new DiagnosticBag();
        var pack = KalkiEdge.UnitTests.Policy.PolicyTestPacks.Load(PlugPack, "pack.yaml");
        var node = YamlArgs.Parse($"monitor: {{family: mqtt, broker: 127.0.0.1, topic: site/plug-1/state, fields: {{on: relay.on, power-w: power}}, {tls}}}", "site.yaml", diagnostics)!.Entries.Single().Value;
        using var monitor = MonitorCompilation.Compile(MonitorLibrary.CreateRegistry(), new MonitorEntry("plug", node, null, [Ip.FromV4(0x7F000001)], pack), diagnostics) as IDisposable;
        return [.. diagnostics.Items.Select(d => d.Message.StartsWith("monitor mqtt: ", StringComparison.Ordinal) ? d.Message["monitor mqtt: ".Length..] : d.Message)];
    }

    private static MonitorHarness Started(out MonitoredDevice device, string tls, string? credentials)
    {
        var h = new MonitorHarness(PlugPack);
        device = h.Add("plug", "mqtt-plug",
            $"{{family: mqtt, broker: 127.0.0.1, {tls}, topic: site/plug-1/state, fields: {{on: relay.on, power-w: power}}, command-topic: site/plug-1/set, commands: [turn-off, turn-on], timeout: 5s}}",
            credentials);
        h.Start(new MonitorOptions { CommandAttempts = 3, CommandBackoff = TimeSpan.FromMilliseconds(200) });
        return h;
    }

    /// <summary>The device: publishes its readings over TLS with the site's password (it trusts the test's CA only).</summary>
    private IMqttClient Device()
    {
        var ca = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        ca.ImportFromPemFile(_pki.CaFile);
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _broker.PasswordPort)
            .WithClientId("plug-1")
            .WithCredentials("site", "broker-pass-tls-7")
            .WithTlsOptions(o => o.UseTls(true).WithTargetHost("127.0.0.1").WithTrustChain(ca))
            .Build();
        client.ConnectAsync(options).Wait(TimeSpan.FromSeconds(15));
        Assert.That(client.IsConnected, Is.True, _broker.Log);
        return client;
    }

    private static bool Publish(IMqttClient client)
    {
        client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("site/plug-1/state").WithPayload("""{"relay": {"on": true}, "power": 812.5}""").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build())
            .Wait(TimeSpan.FromSeconds(10));
        Thread.Sleep(100);
        return true;
    }
}
