using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using static KalkiEdge.TestKit.Micros;

namespace KalkiEdge.UnitTests.Policy;

public class PolicyEngineTests
{
    private readonly FakeEnvironment _env = new();
    private PolicyEngine _engine = null!;
    private DevicePolicyState _cam = null!;

    [SetUp]
    public void SetUp()
    {
        _engine = new PolicyEngine(_env);
        _cam = _engine.CreateState("cam1", new CompiledPolicy(PolicyTestPacks.Load(PolicyTestPacks.Camera)));
    }

    private PolicyDecision? Send(string type, long seconds, int count = 1) =>
        _engine.Evaluate(_cam, new Alert(type, "cam1", AlertSource.Umbox, seconds * Second, "") { Count = count });

    [Test]
    public void Goes_Normal_to_Suspicious_to_Attack_and_state_reset_returns_to_Normal()
    {
        Assert.That(Send(AlertTypes.BruteForce, 1), Is.Null, "one alert is below min 2");
        var d = Send(AlertTypes.BruteForce, 2);
        Assert.That((d!.Rule, d.From, d.To), Is.EqualTo(("probing", "Normal", "Suspicious")));
        var attack = Send(AlertTypes.AbnormalEgress, 3);
        Assert.That((attack!.Rule, attack.To, attack.SamplingIntervalMicros), Is.EqualTo(("compromise", "Attack", 5 * Second)));
        Assert.That(attack.Commands.Single().Command, Is.EqualTo("reboot"));
        var reset = Send(AlertTypes.StateReset, 4);
        Assert.That((reset!.Rule, reset.From, reset.To, _cam.State), Is.EqualTo(("state-reset", "Attack", "Normal", "Normal")));
    }

    [Test]
    public void Alerts_outside_the_window_do_not_count()
    {
        Send(AlertTypes.BruteForce, 0);
        Assert.That(Send(AlertTypes.BruteForce, 61), Is.Null, "first alert left the 60 s window");
        Assert.That(Send(AlertTypes.BruteForce, 62)?.To, Is.EqualTo("Suspicious"));
    }

    [Test]
    public void An_old_alert_in_the_window_never_refires_a_rule_that_acted_on_it()
    {
        Send(AlertTypes.BruteForce, 1);
        Assert.That(Send(AlertTypes.BruteForce, 2)?.To, Is.EqualTo("Suspicious"));
        Send(AlertTypes.StateReset, 3);
        Assert.That(Send(AlertTypes.BruteForce, 4), Is.Null, "the two earlier alerts are still in the window but were acted on");
        Assert.That(Send(AlertTypes.BruteForce, 5)?.To, Is.EqualTo("Suspicious"), "two fresh alerts fire again");
    }

    [Test]
    public void Aggregated_alert_counts_are_counted()
    {
        Assert.That(Send(AlertTypes.BruteForce, 1, count: 2)?.To, Is.EqualTo("Suspicious"));
    }

    [Test]
    public void Highest_priority_rule_wins_and_AND_needs_every_term()
    {
        Assert.That(Send(AlertTypes.PortScan, 1), Is.Null, "AND needs 5 brute-force too");
        Assert.That(Send(AlertTypes.BruteForce, 2, count: 4), Is.Null.Or.Property("Rule").EqualTo("probing"));
        _cam = _engine.CreateState("cam1", _cam.Policy);
        Send(AlertTypes.PortScan, 1);
        var d = Send(AlertTypes.BruteForce, 2, count: 5);
        Assert.That(d!.Rule, Is.EqualTo("compromise"), "both rules hold; priority 20 beats 10");
    }

    [Test]
    public void Alerts_no_rule_mentions_are_neither_evaluated_nor_kept()
    {
        Assert.That(Send(AlertTypes.ArpSpoof, 1), Is.Null);
        Assert.That(_cam.History.Count, Is.Zero);
        Send(AlertTypes.BruteForce, 1);
        Assert.That(_cam.History.Count, Is.EqualTo(1));
    }

    [Test]
    public void EV_comparison_gates_a_rule()
    {
        Send(AlertTypes.BruteForce, 1, count: 2);
        Assert.That(Send("overheat", 2), Is.Null, "armed is unknown");
        _env.Values[("cam1", "armed")] = EvValue.Of(false);
        Assert.That(Send("overheat", 3), Is.Null, "armed is false");
        _env.Values[("cam1", "armed")] = EvValue.Of(true);
        Assert.That(Send("overheat", 4)?.Rule, Is.EqualTo("hot"));
    }

    [Test]
    public void Group_member_states_gate_a_rule()
    {
        var pack = PolicyTestPacks.Load("""
            type: plug
            chains: {Normal: n, Suspicious: s, Attack: a}
            rules:
              - {name: neighbour, from: Normal, to: Suspicious, priority: 1, window: 1min, when: {alert: port-scan}, group: [{type: cam, state: Attack, min: 2}]}
              - {name: up, from: Suspicious, to: Attack, priority: 1, window: 1min, when: {alert: port-scan}}
            """);
        var plug = _engine.CreateState("plug1", new CompiledPolicy(pack));
        var alert = new Alert(AlertTypes.PortScan, "plug1", AlertSource.Umbox, Second, "");
        _env.Group[("cam", "Attack")] = 1;
        Assert.That(_engine.Evaluate(plug, alert), Is.Null);
        _env.Group[("cam", "Attack")] = 2;
        Assert.That(_engine.Evaluate(plug, alert with { TimeMicros = 2 * Second })?.To, Is.EqualTo("Suspicious"));
    }

    [Test]
    public void History_is_bounded_and_counts_evictions()
    {
        var small = PolicyEngine.NewState("cam1", _cam.Policy, historyCapacity: 4);
        for (int i = 0; i < 10; i++)
        {
            _engine.Evaluate(small, new Alert(AlertTypes.PortScan, "cam1", AlertSource.Umbox, i, ""));
        }

        Assert.That((small.History.Count, small.History.Evicted), Is.EqualTo((4, 6L)));
    }
}
