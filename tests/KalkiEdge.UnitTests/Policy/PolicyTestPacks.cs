using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;

namespace KalkiEdge.UnitTests.Policy;

/// <summary>Packs written inline for policy tests, loaded through the real loader.</summary>
public static class PolicyTestPacks
{
    public const string Camera = """
        type: cam
        sensors: {temp: decimal, armed: bool, firmware: string, last-boot: timestamp, logins: int}
        commands: [reboot]
        alert-types: [overheat]
        chains: {Normal: n, Suspicious: s, Attack: a}
        telemetry-alerts:
          - alert: overheat
            all: [{sensor: temp, last: 3, aggregate: average, op: ">", value: 70}]
        rules:
          - name: probing
            from: Normal
            to: Suspicious
            priority: 10
            window: 60s
            when: {alert: brute-force, min: 2}
          - name: compromise
            from: [Normal, Suspicious]
            to: Attack
            priority: 20
            window: 60s
            when: {any: [{alert: abnormal-egress}, {all: [{alert: brute-force, min: 5}, {alert: port-scan}]}]}
            commands: [{command: reboot, to: self}]
            sampling: 5s
          - name: hot
            from: Suspicious
            to: Attack
            priority: 5
            window: 10min
            when: {alert: overheat}
            ev: [{sensor: armed, op: "==", value: true}]
        """;

    public static DeviceTypePack Load(string yaml, string file = "test.yaml")
    {
        var diagnostics = new DiagnosticBag();
        var pack = PackLoader.Load(file, yaml, diagnostics);
        Assert.That(diagnostics.Items, Is.Empty, diagnostics.ToString());
        return pack!;
    }

    public static IReadOnlyList<Diagnostic> Errors(Func<string, string?>? imageChain = null, params string[] yamls)
    {
        var diagnostics = new DiagnosticBag();
        var packs = yamls.Select((y, i) => PackLoader.Load($"p{i}.yaml", y, diagnostics)).OfType<DeviceTypePack>().ToList();
        PackChecker.Check(packs, imageChain ?? (_ => "pass"), diagnostics);
        return diagnostics.Items;
    }
}

/// <summary>EVs and group states for the engine, settable by tests.</summary>
public sealed class FakeEnvironment : IPolicyEnvironment
{
    public Dictionary<(string, string), EvValue> Values { get; } = [];

    public Dictionary<(string?, string), int> Group { get; } = [];

    public EvValue? Latest(string device, string sensor) => Values.TryGetValue((device, sensor), out var v) ? v : null;

    public int GroupMembersInState(string device, string? type, string state) => Group.TryGetValue((type, state), out var n) ? n : 0;
}
