using KalkiEdge.ControlPlane;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Store;
using KalkiEdge.Umboxes;
using KalkiEdge.UnitTests.Policy;

namespace KalkiEdge.UnitTests.ControlPlane;

/// <summary>Images compiled from chain text with the real element library.</summary>
public sealed class TextImages(Dictionary<string, string> chains) : IImageSource
{
    private readonly ChainCompiler _compiler = new(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(Path.GetTempPath()));

    public int Compilations { get; private set; }

    public string? ChainText(string image) => chains.GetValueOrDefault(image);

    public ChainDefinition? Compile(string image, DiagnosticBag diagnostics)
    {
        Compilations++;
        return _compiler.Compile(chains[image], new SourceSpan(image, 1, 1), diagnostics, image);
    }

    public ChainDefinition FailClosed() => _compiler.Compile("block-all", new SourceSpan("fail-closed", 1, 1), new DiagnosticBag(), "block-all")!;
}

/// <summary>A settable control clock.</summary>
public sealed class ManualClock : IControlClock
{
    public long NowMicros { get; set; } = 1_700_000_000_000_000;
}

/// <summary>A controller over the test pack "sensor" with pass/block-all images, and what it reported.</summary>
public sealed class ControlHarness : IDisposable
{
    public const string Pack = """
        type: sensor
        sampling: 10s
        sensors: {temp: decimal}
        commands: [reboot]
        alert-types: [too-hot]
        telemetry-alerts:
          - alert: too-hot
            all: [{sensor: temp, op: ">", value: 90}]
        chains: {Normal: open, Suspicious: watched, Attack: closed}
        rules:
          - {name: probe, from: Normal, to: Suspicious, priority: 10, window: 1min, when: {alert: port-scan}}
          - {name: hot, from: Normal, to: Suspicious, priority: 5, window: 1min, when: {alert: too-hot}}
          - {name: silent, from: Normal, to: Suspicious, priority: 4, window: 1min, when: {alert: device-unavailable}}
          - {name: attack, from: Suspicious, to: Attack, priority: 20, window: 1min, when: {alert: brute-force}, commands: [{command: reboot, to: group, type: sensor}]}
        """;

    public ControlHarness(Dictionary<string, string>? images = null, IImageAttestor? attestor = null, StoreWriter? writer = null,
        IReadOnlyDictionary<string, CommittedDeviceState>? committed = null, string pack = Pack)
    {
        Images = new TextImages(images ?? new() { ["open"] = "pass", ["watched"] = "pass -> pass", ["closed"] = "block-all" });
        Controller = new SecurityController([PolicyTestPacks.Load(pack)], new ChainDeployer(Images, Images.FailClosed(), attestor), Clock, writer, committed);
        Controller.AlertEvaluated += Evaluated.Add;
        Controller.Transitioned += Transitions.Add;
        Controller.CommandIssued += (d, c, r) => Commands.Add($"{d}:{c}:{r}");
    }

    public TextImages Images { get; }

    public ManualClock Clock { get; } = new();

    public SecurityController Controller { get; }

    public List<Alert> Evaluated { get; } = [];

    public List<TransitionEvent> Transitions { get; } = [];

    public List<string> Commands { get; } = [];

    public DeviceSlot Add(string name, ulong mac, string? group = null)
    {
        var slot = new DeviceSlot(name, mac, []);
        Controller.Register(slot, "sensor", group);
        return slot;
    }

    public void Raise(string type, string device, long? time = null) =>
        Controller.Alerts.Raise(new Alert(type, device, AlertSource.Umbox, time ?? Clock.NowMicros, "test"));

    public void Dispose() => Controller.Dispose();
}
