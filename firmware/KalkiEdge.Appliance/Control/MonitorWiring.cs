using System.Net;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Camera;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Wires the device monitors into the appliance: each kalki.yaml device's <c>monitor:</c> is compiled with the
/// appliance (so <c>check</c> reports its errors with file and line), and <see cref="Start"/> polls them into the
/// control plane, which sends rules' commands through them.
/// </summary>
public static class MonitorWiring
{
    public static IReadOnlyList<MonitoredDevice> Compile(SiteConfig config, IReadOnlyList<DeviceTypePack> packs, DiagnosticBag diagnostics)
    {
        var registry = MonitorLibrary.CreateRegistry();
        var monitored = new List<MonitoredDevice>();
        foreach (var device in config.Devices.Where(d => d.Monitor is not null))
        {
            var pack = packs.FirstOrDefault(p => p.Name == device.Type);
            var entry = new MonitorEntry(device.Name, device.Monitor!, device.Credentials, device.Ips, pack);
            if (MonitorCompilation.Compile(registry, entry, diagnostics) is { } monitor)
            {
                monitored.Add(new MonitoredDevice(device.Name, monitor));
            }
        }

        return monitored;
    }

    /// <summary>
    /// Starts polling the appliance's monitored devices from <paramref name="deviceAddress"/> (the device-side
    /// address; null: the kernel chooses, as on loopback in the simulation), camera event receivers on the same
    /// address (loopback when null; opened when a camera is monitored), and monitors for the devices added at run time.
    /// </summary>
    public static MonitorRuntime Start(EdgeAppliance appliance, IPAddress? deviceAddress, Action<string> log, MonitorOptions? options = null)
    {
        options ??= new MonitorOptions();
        if (options.CameraEvents is null)
        {
            options = options with { CameraEvents = appliance.CameraEvents.At(deviceAddress) };
        }

        var monitors = new DeviceMonitors(appliance.Control, appliance.Clock, new DeviceHttp(deviceAddress), appliance.Monitored, log, options);
        appliance.Control.Commands = monitors;
        monitors.Start();
        log($"device monitors: {appliance.Monitored.Count} devices polled from {deviceAddress?.ToString() ?? "the default address"}");
        return new MonitorRuntime(monitors, RuntimeMonitors.Follow(appliance, monitors, log));
    }
}

/// <summary>The running monitors and the registry hook that adds and removes them; disposing stops both.</summary>
public sealed class MonitorRuntime(DeviceMonitors monitors, RuntimeMonitors runtime) : IDisposable
{
    public DeviceMonitors Monitors { get; } = monitors;

    public void Dispose()
    {
        runtime.Dispose();
        Monitors.Dispose();
    }
}
