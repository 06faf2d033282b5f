using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Simulators;

namespace KalkiEdge.UnitTests.Devices;

public sealed class MonitorFamilyTests
{
    private const string HuePack = """
        type: philips-hue-bridge
        sensors: {lights-on: int, reachable: bool, api-version: string}
        commands: [lights-off, lights-on]
        chains: {Normal: open, Suspicious: watched, Attack: closed}
        rules:
          - {name: silent, from: Normal, to: Suspicious, priority: 5, window: 1min, when: {alert: device-unavailable}}
        """;

    [Test]
    public void The_hue_monitor_reads_every_light_not_only_the_first()
    {
        using var bridge = new HueSimulator("kalki-user-1234", lights: 4);
        bridge.SetLight(0, on: false);
        bridge.SetLight(3, on: true, reachable: false);
        using var h = new MonitorHarness(HuePack);
        h.Add("hue", "philips-hue-bridge", $"{{family: hue, port: {bridge.Port}}}", "{user: kalki-user-1234}");
        h.Start();

        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("hue", "api-version") is not null), Is.True, string.Join("\n", h.LogLines()));
        Assert.Multiple(() =>
        {
            Assert.That(h.Controller.Latest("hue", "lights-on"), Is.EqualTo(EvValue.Of(3)));
            Assert.That(h.Controller.Latest("hue", "reachable"), Is.EqualTo(EvValue.Of(false)));
            Assert.That(h.Controller.Latest("hue", "api-version"), Is.EqualTo(EvValue.Of("1.50.0")));
        });
    }

    [Test]
    public void Lights_off_switches_every_light_of_the_bridge_off()
    {
        using var bridge = new HueSimulator("kalki-user-1234", lights: 5);
        using var h = new MonitorHarness(HuePack);
        h.Add("hue", "philips-hue-bridge", $"{{family: hue, port: {bridge.Port}}}", "{user: kalki-user-1234}");
        h.Start();

        h.Monitors.Send("hue", "lights-off");

        Assert.That(MonitorHarness.Eventually(() => bridge.LightsOn == 0), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(MonitorHarness.Eventually(() => h.Monitors.CommandsSent == 1), Is.True);
    }

    [Test]
    public void A_wrong_hue_user_is_the_bridges_refusal_and_never_shows_the_token()
    {
        using var bridge = new HueSimulator("the-right-user");
        using var h = new MonitorHarness(HuePack);
        var device = h.Add("hue", "philips-hue-bridge", $"{{family: hue, port: {bridge.Port}}}", "{user: secret-wrong-token}");
        h.Start();

        Assert.That(MonitorHarness.Eventually(() => device.LastError is not null), Is.True);
        Assert.That(device.LastError, Does.Contain("the bridge refused: unauthorized user"));
        Assert.That(string.Join("\n", h.LogLines()) + device.LastError, Does.Not.Contain("secret-wrong-token"));
    }

    [Test]
    public void The_wemo_monitor_reads_state_power_and_energy_over_soap_and_switches_the_plug()
    {
        using var plug = new WemoSimulator(on: true, loadMilliwatts: 61_500);
        using var h = new MonitorHarness(MonitorHarness.HeaterPlug);
        h.Add("plug", "heater-plug", $"{{family: wemo-insight, port: {plug.Port}}}");
        h.Start();

        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("plug", "power-w") is not null), Is.True, string.Join("\n", h.LogLines()));
        Assert.Multiple(() =>
        {
            Assert.That(h.Controller.Latest("plug", "on"), Is.EqualTo(EvValue.Of(true)));
            Assert.That(h.Controller.Latest("plug", "power-w"), Is.EqualTo(EvValue.Of(61.5m)));
            Assert.That(h.Controller.Latest("plug", "today-kwh")!.Value.Kind, Is.EqualTo(ValueKind.Decimal));
        });

        h.Monitors.Send("plug", "turn-off");
        Assert.That(MonitorHarness.Eventually(() => !plug.On), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(plug.Switches, Is.EqualTo(1));
    }

    [Test]
    public void A_json_status_page_gives_readings_of_every_value_kind()
    {
        using var board = new JsonDeviceSimulator(() => """{"alarm": {"armed": true}, "ssh": [{"count": 2}], "cpu": {"temp": 71.25}, "fw": "4.1.7"}""");
        using var h = new MonitorHarness(MonitorHarness.Board);
        h.Add("board", "board", $"{{family: http-json, port: {board.Port}, fields: {{armed: alarm.armed, sessions: ssh.0.count, cpu-temp-c: cpu.temp, firmware: fw}}, commands: {{reboot: /reboot}}}}");
        h.Start();

        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("board", "firmware") is not null), Is.True, string.Join("\n", h.LogLines()));
        Assert.Multiple(() =>
        {
            Assert.That(h.Controller.Latest("board", "armed"), Is.EqualTo(EvValue.Of(true)));
            Assert.That(h.Controller.Latest("board", "sessions"), Is.EqualTo(EvValue.Of(2)));
            Assert.That(h.Controller.Latest("board", "cpu-temp-c"), Is.EqualTo(EvValue.Of(71.25m)));
            Assert.That(h.Controller.Latest("board", "firmware"), Is.EqualTo(EvValue.Of("4.1.7")));
        });

        h.Monitors.Send("board", "reboot");
        Assert.That(MonitorHarness.Eventually(() => board.Commands.Contains("/reboot")), Is.True);
    }

    [Test]
    public void A_json_value_of_the_wrong_kind_is_an_error_never_a_guess()
    {
        using var board = new JsonDeviceSimulator(() => """{"armed": 1}""");
        using var h = new MonitorHarness(MonitorHarness.Board);
        var device = h.Add("board", "board", $"{{family: http-json, port: {board.Port}, fields: {{armed: armed}}}}");
        h.Start();

        Assert.That(MonitorHarness.Eventually(() => device.LastError is not null), Is.True);
        Assert.That(device.LastError, Is.EqualTo("armed: the number 1 is not a bool"));
        Assert.That(h.Controller.Latest("board", "armed"), Is.Null);
    }
}
