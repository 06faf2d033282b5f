using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Simulators;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>Readings leave their range, the policy reacts, and the command really reaches the device.</summary>
public sealed class KineticReactionTests
{
    [Test]
    public void An_overloaded_plug_is_moved_to_attack_and_switched_off_through_its_monitor()
    {
        using var plug = new WemoSimulator(on: true, loadMilliwatts: 2_000_000); // a 2 kW heater
        using var h = new MonitorHarness(MonitorHarness.HeaterPlug);
        var device = h.Add("plug", "heater-plug", $"{{family: wemo-insight, port: {plug.Port}}}");
        h.Start();

        Assert.That(MonitorHarness.Eventually(() => !plug.On), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(h.Controller.Devices["plug"].State, Is.EqualTo("Attack"));
        Assert.That(h.AlertsOf("overload"), Has.Length.EqualTo(1));
        // The rule's 200 ms sampling replaced the pack's 60 s at once: the plug is seen off within a few polls.
        Assert.That(MonitorHarness.Eventually(() => h.Controller.Latest("plug", "power-w") == EvValue.Of(0m), 5), Is.True);
        Assert.That(device.Polls, Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public void A_command_the_device_keeps_refusing_is_retried_then_reported_as_command_failed()
    {
        int attempts = 0;
        using var plug = new WemoSimulator(on: true)
        {
            Override = r =>
            {
                if (!r.Headers.TryGetValue("SOAPACTION", out var a) || !a.Contains("SetBinaryState", StringComparison.Ordinal))
                {
                    return null;
                }

                Interlocked.Increment(ref attempts);
                return new SmallResponse(500, "<s:Envelope xmlns:s=\"x\"><s:Body><s:Fault/></s:Body></s:Envelope>", "text/xml");
            },
        };
        using var h = new MonitorHarness(MonitorHarness.HeaterPlug);
        h.Add("plug", "heater-plug", $"{{family: wemo-insight, port: {plug.Port}}}");
        h.Start(new KalkiEdge.Devices.Monitoring.MonitorOptions { CommandBackoff = TimeSpan.FromMilliseconds(20) });

        h.Monitors.Send("plug", "turn-off");

        Assert.That(MonitorHarness.Eventually(() => h.AlertsOf(AlertTypes.CommandFailed).Length == 1), Is.True, string.Join("\n", h.LogLines()));
        Assert.That(Volatile.Read(ref attempts), Is.EqualTo(3));
        Assert.That(h.AlertsOf(AlertTypes.CommandFailed)[0].Info, Is.EqualTo("command turn-off failed: SetBinaryState: HTTP 500 (3 attempts)"));
        Assert.That(plug.On, Is.True);
    }

    [Test]
    public void A_command_its_monitor_cannot_send_is_reported_at_once()
    {
        using var plug = new WemoSimulator();
        using var h = new MonitorHarness(MonitorHarness.HeaterPlug);
        h.Add("plug", "heater-plug", $"{{family: wemo-insight, port: {plug.Port}}}");
        h.Start();

        h.Monitors.Send("plug", "self-destruct");
        h.Monitors.Send("nobody", "turn-off");

        Assert.That(MonitorHarness.Eventually(() => h.AlertsOf(AlertTypes.CommandFailed).Length == 2), Is.True);
        Assert.That(h.AlertsOf(AlertTypes.CommandFailed).Select(a => a.Info), Is.EquivalentTo(new[]
        {
            "command self-destruct failed: its monitor cannot send it (it sends: turn-on, turn-off)",
            "command turn-off failed: the device has no monitor to send it",
        }));
    }
}
