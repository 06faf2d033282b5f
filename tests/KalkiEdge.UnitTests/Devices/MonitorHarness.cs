using System.Net;
using KalkiEdge.ControlPlane;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.UnitTests.ControlPlane;
using KalkiEdge.UnitTests.Policy;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// A real control plane (its loop running on the system clock) with device monitors polling simulators on loopback,
/// and what it reported. Every wait is bounded.
/// </summary>
public sealed class MonitorHarness : IDisposable
{
    /// <summary>A plug driving a heater: a draw over 1.5 kW is an overload, which switches it off and samples faster.</summary>
    public const string HeaterPlug = """
        type: heater-plug
        sampling: 60s
        sensors: {on: bool, power-w: decimal, today-kwh: decimal}
        commands: [turn-off, turn-on]
        alert-types: [overload]
        telemetry-alerts:
          - alert: overload
            all: [{sensor: power-w, op: ">", value: 1500}]
        chains: {Normal: open, Suspicious: watched, Attack: closed}
        rules:
          - {name: overload, from: Normal, to: Attack, priority: 10, window: 1min, when: {alert: overload}, commands: [{command: turn-off, to: self}], sampling: 200ms}
          - {name: silent, from: Normal, to: Suspicious, priority: 5, window: 1min, when: {alert: device-unavailable}}
        """;

    /// <summary>A board with a sensor of every value kind.</summary>
    public const string Board = """
        type: board
        sampling: 60s
        sensors: {armed: bool, sessions: int, cpu-temp-c: decimal, firmware: string}
        commands: [reboot]
        chains: {Normal: open, Suspicious: watched, Attack: closed}
        rules:
          - {name: silent, from: Normal, to: Suspicious, priority: 5, window: 1min, when: {alert: device-unavailable}}
        """;

    private readonly List<MonitoredDevice> _devices = [];
    private DeviceMonitors? _monitors;

    public MonitorHarness(params string[] packs)
    {
        var images = new TextImages(new() { ["open"] = "pass", ["watched"] = "pass -> pass", ["closed"] = "block-all" });
        Packs = [.. packs.Select(p => PolicyTestPacks.Load(p))];
        Controller = new SecurityController(Packs, new ChainDeployer(images, images.FailClosed()), Clock);
        Controller.AlertEvaluated += a => { lock (Alerts) { Alerts.Add(a); } };
    }

    public IReadOnlyList<DeviceTypePack> Packs { get; }

    public SystemClock Clock { get; } = new();

    public SecurityController Controller { get; }

    public List<Alert> Alerts { get; } = [];

    private readonly List<string> _log = [];

    public DeviceMonitors Monitors => _monitors ?? throw new InvalidOperationException("Start first");

    /// <summary>Registers a device of <paramref name="pack"/> whose monitor is compiled from <paramref name="monitorYaml"/>.</summary>
    public MonitoredDevice Add(string name, string pack, string monitorYaml, string? credentialsYaml = null, long? samplingMicros = null)
    {
        var diagnostics = new DiagnosticBag();
        var monitor = MonitorCompilation.Compile(MonitorLibrary.CreateRegistry(),
            new MonitorEntry(name, Yaml(monitorYaml), credentialsYaml is null ? null : Yaml(credentialsYaml), [Ip.FromV4(0x7F000001)], Packs.Single(p => p.Name == pack)), diagnostics);
        Assert.That(diagnostics.Items, Is.Empty, string.Join("\n", diagnostics.Items));
        Controller.Register(new DeviceSlot(name, 0x020000000100UL + (ulong)_devices.Count, []), pack, samplingIntervalMicros: samplingMicros);
        var device = new MonitoredDevice(name, monitor!);
        _devices.Add(device);
        return device;
    }

    public void Start(MonitorOptions? options = null)
    {
        _monitors = new DeviceMonitors(Controller, Clock, new DeviceHttp(IPAddress.Loopback), _devices, m => { lock (_log) { _log.Add(m); } }, options);
        Controller.Commands = _monitors;
        Controller.Start();
        _monitors.Start();
    }

    /// <summary>The monitors' log so far (they write it from their own threads).</summary>
    public string[] LogLines()
    {
        lock (_log)
        {
            return [.. _log];
        }
    }

    /// <summary>Waits until a log line contains <paramref name="text"/>: a monitor logs after the device answered.</summary>
    public bool EventuallyLogged(string text) => Eventually(() => LogLines().Any(l => l.Contains(text, StringComparison.Ordinal)));

    public Alert[] AlertsOf(string type)
    {
        lock (Alerts)
        {
            return [.. Alerts.Where(a => a.Type == type)];
        }
    }

    /// <summary>Waits (at most <paramref name="seconds"/>) until the condition holds; false if it never did.</summary>
    public static bool Eventually(Func<bool> condition, double seconds = 10)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return condition();
    }

    public static ArgNode Yaml(string text) =>
        YamlArgs.Parse("m: " + text, "site.yaml", new DiagnosticBag())!.Entries.Single().Value;

    public void Dispose()
    {
        _monitors?.Dispose();
        Controller.Dispose();
    }
}
