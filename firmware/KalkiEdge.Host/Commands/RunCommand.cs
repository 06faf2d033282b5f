using KalkiEdge.Appliance;
using KalkiEdge.Core;
using System.Globalization;
using KalkiEdge.Management;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Appliance.Live;
using KalkiEdge.Assurance;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Appliance.Output;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.Devices.Onboard;
using KalkiEdge.Devices.Simulators;
using KalkiEdge.Export.Events;
using KalkiEdge.Host.Logging;
using KalkiEdge.Host.Memory;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// kalki-edge run. With an <c>interfaces:</c> section in the config: the live bridge (<see cref="LiveRunCommand"/>).
/// With a config and no interfaces: idle (nothing bridged, management and the control loop up). Without
/// <c>--config</c>: the simulation, the bundled multi-device scenario played through the engine in real time,
/// printing alerts and state changes as they happen.
/// </summary>
internal static class RunCommand
{
    public static int Execute(CommandLine cl)
    {
        var speed = 1.0;
        if (cl.Option("--speed") is { } s && (!double.TryParse(s, CultureInfo.InvariantCulture, out speed) || speed <= 0))
        {
            Console.Error.WriteLine($"kalki-edge run: --speed must be a positive number, got '{s}'");
            return ExitCodes.Usage;
        }

        // A site's appliance keeps its state in its data directory; the simulation keeps its store (dashboard
        // account, runtime devices, history) in a directory of its own that is deleted when it ends.
        var scratch = cl.Option("--config") is null ? Directory.CreateTempSubdirectory("kalki-edge-simulation-") : null;
        try
        {
            return Run(cl, speed, scratch?.FullName);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            scratch?.Delete(recursive: true);
        }
    }

    private static int Run(CommandLine cl, double speed, string? scratchDataDir)
    {
        // First in, last out: SIGTERM stays handled (graceful) until the store has been flushed and closed.
        using var shutdown = new ShutdownSignal();
        // A site's appliance logs to the journal with priorities and exports events; the simulation prints for a person.
        using var journal = cl.Option("--config") is null ? null : JournalConsole.Start();
        var events = new EventHub();
        var observer = new ConsoleObserver(Console.Out);
        using var appliance = ApplianceLoader.Load(cl.Option("--config"), journal is null ? observer : events, persist: true, dataDir: scratchDataDir);
        if (appliance is null)
        {
            return ExitCodes.Invalid;
        }

        var listeners = new DiagnosticBag();
        OwnListeners.Check(appliance.Config, listeners);
        if (listeners.HasErrors)
        {
            foreach (var d in listeners.Items)
            {
                Console.Error.WriteLine(d);
            }

            return ExitCodes.Invalid;
        }

        using var export = journal is null ? null : EventExport.Start(appliance, events, journal.Factory);
        if (journal is not null && export is null)
        {
            return ExitCodes.Invalid;
        }

        if (journal is null)
        {
            // The simulation prints for a person and still has the one event hub: the dashboard's sinks hang on it.
            appliance.Control.AlertEvaluated += events.OnAlert;
            appliance.Control.Transitioned += events.OnTransition;
            events.Bind(appliance.Control.Devices, appliance.Engine.Devices);
        }

        foreach (var warning in appliance.Registry.StartupWarnings)
        {
            Console.Error.WriteLine($"WARNING: {warning}");
        }

        foreach (var note in appliance.Registry.StartupNotes)
        {
            Console.WriteLine(note);
        }

        // The simulation's device segment: what the chains forward to a device simulated on loopback reaches its
        // simulator (so the attacker's switch has its effect), through the signing stage's egress when signing.
        using var segment = cl.Option("--config") is null ? SimulatedDelivery.For(appliance, Console.WriteLine) : null;
        // Attestation of every chain in force (fail-closed on mismatch) before any traffic; signing when configured.
        using var assurance = ApplianceAssurance.Start(appliance, segment, Console.Out);
        if (assurance is null)
        {
            return ExitCodes.Invalid;
        }

        var live = appliance.Config.Sections.TryGetValue("interfaces", out var interfaces);
        // A site config without interfaces bridges nothing (fail-closed) but still serves management; only the
        // built-in profile plays the simulation scenario.
        var mode = live ? "live" : cl.Option("--config") is null ? "simulation" : "idle";
        var management = ManagementHost.Start(appliance, assurance, mode, events);
        if (management is null)
        {
            return ExitCodes.Invalid;
        }

        using var panel = PanelWiring.Start(appliance, PanelStatusOf(appliance, assurance, management), mode == "simulation", Console.Out, shutdown.Request);
        export?.Attach(appliance.Pairing, appliance);
        // Every sink is on the hub now. A site's control loop runs at the capture threads' real-time priority:
        // the sinks get its events on the hub's own thread, so a reaction's reporting never holds that CPU.
        if (export is not null)
        {
            events.StartDispatching();
        }

        try
        {
            return mode switch
            {
                "live" => WarmThen(appliance, () => LiveRunCommand.Execute(appliance, interfaces!, management, assurance.Signing is null ? null : new LiveSigning(assurance.Services!, appliance), shutdown, journal!.Logger)),
                "idle" => Idle(appliance, management, shutdown),
                _ => Simulate(appliance, observer, assurance, management, segment!, speed, shutdown),
            };
        }
        finally
        {
            // What the run reported reaches the sinks (the dashboard's among them) before they close.
            export?.StopEvents();
            management.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static int Simulate(EdgeAppliance appliance, ConsoleObserver observer, ApplianceAssurance assurance, ManagementHost management, SimulatedDelivery segment, double speed, ShutdownSignal stop)
    {
        var timeline = SiteScenario.Build(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
        Console.WriteLine($"KalkiEdge simulation: {appliance.Engine.Devices.Count} devices, {timeline.Count} frames of scenario traffic at {speed}x real time (Ctrl-C stops)");
        using var source = timeline.ToSource("simulation");
        // The scenario's devices are simulators on loopback; the monitors poll them on the scenario's clock.
        using var simulated = SimulatedDevices.Start(appliance.Monitored, Console.WriteLine);
        appliance.BeginFrame(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
        using var monitors = MonitorWiring.Start(appliance, null, Console.WriteLine);
        // The camera pushes motion to the receivers, by e-mail and HTTP event, every half minute.
        using var motion = new CameraMotion(monitors.Monitors, TimeSpan.FromSeconds(30), Console.WriteLine);
        // The room the WeMo plug heats, sensed by the appliance's own (in-memory) BME280.
        var heater = simulated.Plugs.Values.FirstOrDefault();
        var room = new ThermalRoom(() => heater?.On == true);
        using var sensors = SensorWiring.Start(appliance, new SimulatedHardware(room), appliance.Control.Telemetry, Console.WriteLine);
        using var roomReport = new Timer(_ => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:HH:mm:ss.fff} ROOM  {"heater-room",-14} {room.Now().Celsius:F1} °C, heater {(heater?.On == true ? "on" : "off")}")), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        management.Ready("simulation running");
        StartupPages.Release(Console.Error);
        var result = new ReplayRunner(appliance, observer) { RealTimeSpeed = speed, Signing = assurance.Signing, Output = segment }.Run(source, stop.Token);
        if (!stop.Requested)
        {
            OperatorResets(appliance);
        }

        StatusTable.Print(Console.Out, appliance, result);
        return ExitCodes.Ok;
    }

    private static PanelStatusSource PanelStatusOf(EdgeAppliance appliance, ApplianceAssurance assurance, ManagementHost management)
    {
        var hypervisor = assurance.Services?.Hypervisor is { } hv ? (hv.IsHardwareProtected ? "hardware" : hv.Backend.ToString().ToLowerInvariant()) : "off";
        var signing = AssuranceServices.ModeName(assurance.Services?.Signing.Mode ?? SigningMode.Off);
        return new PanelStatusSource(appliance, management.Address, hypervisor, signing);
    }

    private static int WarmThen(EdgeAppliance appliance, Func<int> run)
    {
        Warmup.Run(appliance, "live bridge");
        return run();
    }

    /// <summary>No interfaces configured: nothing is bridged; the control plane and management run until stopped.</summary>
    private static int Idle(EdgeAppliance appliance, ManagementHost management, ShutdownSignal stop)
    {
        Console.WriteLine($"kalki-edge: no 'interfaces' section: bridging nothing (fail-closed); {appliance.Engine.Devices.Count} devices configured; SIGTERM stops");
        appliance.BeginFrame((DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10); // wall clock from here on
        appliance.Control.Start();
        using var monitors = MonitorWiring.Start(appliance, null, Console.WriteLine);
        using var sensors = SensorWiring.Start(appliance, SensorWiring.Hardware(appliance), appliance.Control.Telemetry, Console.WriteLine);
        management.Ready("idle: no interfaces configured");
        StartupPages.Release(Console.Error);
        stop.Token.WaitHandle.WaitOne();
        appliance.Control.Dispose();
        return ExitCodes.Ok;
    }

    /// <summary>The scenario's last act: the operator, having dealt with each attack, returns the devices to Normal.</summary>
    private static void OperatorResets(EdgeAppliance appliance)
    {
        var attacked = appliance.Engine.Devices.All
            .Where(d => EdgeAppliance.StateOf(d) is { } state && state != "Normal")
            .OrderBy(d => d.Name, StringComparer.Ordinal)
            .ToList();
        foreach (var device in attacked)
        {
            Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} OPER  {device.Name,-14} operator resets the device to Normal");
            appliance.BeginFrame(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
            appliance.Control.ResetState(device.Name);
            appliance.EndFrame();
        }
    }
}

/// <summary>Prints a device status table.</summary>
internal static class StatusTable
{
    public static void Print(TextWriter output, EdgeAppliance appliance, ReplayResult result)
    {
        output.WriteLine();
        output.WriteLine($"{result.Frames} frames: {result.Forwarded} forwarded, {result.Dropped} dropped, {result.Replied} replied, {result.Malformed} malformed");
        output.WriteLine($"{"device",-14} {"state",-11} {"forwarded",10} {"dropped",8} {"replied",8}  chain");
        foreach (var d in appliance.Engine.Devices.All.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            output.WriteLine($"{d.Name,-14} {EdgeAppliance.StateOf(d) ?? "-",-11} {d.Counters.Forwarded,10} {d.Counters.Dropped,8} {d.Counters.Replied,8}  {d.Chain?.Definition.Image ?? d.Chain?.Definition.Text}");
        }
    }
}
