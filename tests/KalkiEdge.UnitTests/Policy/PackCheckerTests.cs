using KalkiEdge.Core.Policy;

namespace KalkiEdge.UnitTests.Policy;

public class PackCheckerTests
{
    [Test]
    public void A_good_pack_has_no_errors_and_loads_its_parts()
    {
        var pack = PolicyTestPacks.Load(PolicyTestPacks.Camera);
        Assert.That(PolicyTestPacks.Errors(null, PolicyTestPacks.Camera), Is.Empty);
        Assert.That(pack.States, Is.EqualTo(new[] { "Normal", "Suspicious", "Attack" }));
        Assert.That(pack.Sensor("temp")!.Kind, Is.EqualTo(ValueKind.Decimal));
        Assert.That(pack.Rules[1].When, Is.TypeOf<AlertCombination>());
        Assert.That(pack.Rules[0].At.Line, Is.EqualTo(10));
    }

    [Test]
    public void Reports_every_problem_at_once_with_its_line()
    {
        const string Bad = """
            type: bad
            sensors: {level: int, mood: bogus}
            commands: [reboot]
            alert-types: [silent]
            chains: {Normal: n, Suspicious: missing-image, Attack: a, Sleepy: z}
            rules:
              - name: r1
                from: Normal
                to: Suspicious
                priority: 1
                window: 30
                when: {alert: no-such-alert}
              - name: r2
                from: Normal
                to: Suspicious
                priority: 1
                window: 1min
                when: {alert: silent}
                commands: [{command: explode}]
                colour: red
            """;
        var errors = PolicyTestPacks.Errors(i => i == "missing-image" ? null : "pass", Bad);
        string[] expected =
        [
            "2:mood: bogus|unknown type 'bogus'",
            "5:chain for unknown state 'Sleepy'",
            "11:'window': duration '30' has no unit",
            "19:unknown command 'explode'",
            "20:unknown key 'colour'",
            "5:uses image 'missing-image', which does not exist",
        ];
        var text = errors.Select(e => $"{e.Line}:{e.Message}").ToList();
        foreach (var e in expected)
        {
            var (line, message) = (e.Split(':')[0], e[(e.IndexOf(':', StringComparison.Ordinal) + 1)..].Split('|')[^1]);
            Assert.That(text, Has.Some.StartsWith(line + ":").And.Contains(message), string.Join("\n", text));
        }
    }

    [Test]
    public void Rejects_unknown_alert_types_unreachable_states_and_never_firing_rules()
    {
        const string Pack = """
            type: t
            sensors: {x: int}
            alert-types: [silent]
            chains: {Normal: n, Suspicious: s, Attack: a}
            rules:
              - {name: a, from: Normal, to: Suspicious, priority: 1, window: 1s, when: {alert: typo-alert}}
              - {name: b, from: Suspicious, to: Attack, priority: 2, window: 1s, when: {alert: silent}}
              - {name: c, from: Normal, to: Attack, priority: 3, window: 1s, when: {alert: port-scan}, ev: [{sensor: x, op: ">", value: 5}, {sensor: x, op: "<", value: 3}]}
            """;
        var messages = PolicyTestPacks.Errors(null, Pack).Select(e => e.Message).ToList();
        Assert.That(messages, Has.Some.Contains("unknown alert type 'typo-alert'"));
        Assert.That(messages, Has.Some.Contains("rule 'b' can never fire: alert type(s) silent are raised by no telemetry condition and no image"));
        Assert.That(messages, Has.Some.Contains("rule 'c' can never fire: its EV comparisons contradict each other (x > 5 and < 3)"));
        Assert.That(messages, Has.Some.Contains("state 'Attack' is unreachable"));
    }

    [Test]
    public void Rejects_equal_priorities_that_can_fire_on_the_same_input()
    {
        const string Pack = """
            type: t
            sensors: {x: int}
            chains: {Normal: n, Suspicious: s, Attack: a}
            rules:
              - {name: a, from: Normal, to: Suspicious, priority: 5, window: 1s, when: {alert: port-scan}}
              - {name: b, from: [Normal, Suspicious], to: Attack, priority: 5, window: 1s, when: {any: [{alert: brute-force}, {alert: port-scan}]}}
              - {name: c, from: Normal, to: Attack, priority: 7, window: 1s, when: {alert: flood}, ev: [{sensor: x, op: ">", value: 5}]}
              - {name: d, from: Normal, to: Suspicious, priority: 7, window: 1s, when: {alert: flood}, ev: [{sensor: x, op: "<=", value: 5}]}
            """;
        var errors = PolicyTestPacks.Errors(null, Pack);
        Assert.That(errors, Has.Count.EqualTo(1), string.Join("\n", errors));
        Assert.That(errors[0].Message, Does.Contain("rules 'a' and 'b' have equal priority 5 and can fire on the same input (a 'port-scan' alert in state Normal)"));
        Assert.That(errors[0].Line, Is.EqualTo(6));
    }

    [Test]
    public void A_pack_alert_type_raised_by_an_image_element_can_fire()
    {
        const string Pack = """
            type: t
            alert-types: [plug-toggle]
            chains: {Normal: n, Suspicious: s, Attack: s}
            rules:
              - {name: a, from: Normal, to: Suspicious, priority: 1, window: 1s, when: {alert: plug-toggle}}
              - {name: b, from: Suspicious, to: Attack, priority: 1, window: 1s, when: {alert: plug-toggle, min: 2}}
            """;
        Assert.That(PolicyTestPacks.Errors(i => i == "n" ? "decoy(alert: plug-toggle)" : "pass", Pack), Is.Empty);
        Assert.That(PolicyTestPacks.Errors(_ => "pass", Pack).Select(e => e.Message), Has.Some.Contains("rule 'a' can never fire"));
    }

    [Test]
    public void Detects_rules_shadowed_by_a_stronger_identical_rule()
    {
        const string Pack = """
            type: t
            chains: {Normal: n, Suspicious: s, Attack: a}
            rules:
              - {name: strong, from: [Normal, Suspicious], to: Attack, priority: 9, window: 1min, when: {alert: port-scan}}
              - {name: weak, from: Normal, to: Suspicious, priority: 1, window: 10s, when: {alert: port-scan}}
            """;
        var messages = PolicyTestPacks.Errors(null, Pack).Select(e => e.Message).ToList();
        Assert.That(messages, Has.Some.Contains("rule 'weak' can never fire: rule 'strong' has higher priority"));
    }

    [Test]
    public void Checks_group_conditions_and_group_commands_against_other_packs()
    {
        const string Plug = """
            type: plug
            commands: [off]
            chains: {Normal: n, Suspicious: s, Attack: a}
            rules:
              - {name: up, from: Normal, to: Suspicious, priority: 1, window: 1s, when: {alert: port-scan}}
              - {name: up2, from: Suspicious, to: Attack, priority: 1, window: 1s, when: {alert: port-scan}}
            """;
        const string Hub = """
            type: hub
            chains: {Normal: n, Suspicious: s, Attack: a}
            rules:
              - name: up
                from: Normal
                to: Suspicious
                priority: 1
                window: 1s
                when: {alert: port-scan}
                group: [{type: plug, state: Melting}, {type: lamp, state: Attack}]
                commands: [{command: off, to: group, type: plug}, {command: dance, to: group, type: plug}]
              - {name: up2, from: Suspicious, to: Attack, priority: 1, window: 1s, when: {alert: port-scan}}
            """;
        var messages = PolicyTestPacks.Errors(null, Plug, Hub).Select(e => e.Message).ToList();
        Assert.That(messages, Has.Count.EqualTo(3), string.Join("\n", messages));
        Assert.That(messages, Has.Some.Contains("device type 'plug' has no state 'Melting'"));
        Assert.That(messages, Has.Some.Contains("unknown device type 'lamp'"));
        Assert.That(messages, Has.Some.Contains("device type 'plug' has no command 'dance'"));
    }

    [Test]
    public void Reports_yaml_syntax_errors_with_their_place()
    {
        var errors = PolicyTestPacks.Errors(null, "type: x\nrules: [\n  {name: a\n");
        Assert.That(errors, Is.Not.Empty);
        Assert.That(errors[0].Message, Does.Contain("YAML syntax"));
        Assert.That(errors[0].Line, Is.GreaterThan(1));
    }
}
