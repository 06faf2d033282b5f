using KalkiEdge.Appliance.Registry;
using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Monitors for devices added at run time (dashboard, API, pairing): a runtime device whose pack declares a monitor
/// gets that (<see cref="DeviceTypePack.Monitor"/>, the pack's <c>monitor:</c>) with the credentials of its device record, started
/// when the device is added, replaced when it is edited and stopped when it is deleted. A monitor that does not
/// compile (a camera without its login, say) is not started, and the log says why.
/// </summary>
public sealed class RuntimeMonitors : IDisposable
{
    private readonly EdgeAppliance _appliance;
    private readonly DeviceMonitors _monitors;
    private readonly Action<string> _log;
    private readonly MonitorRegistry _families = MonitorLibrary.CreateRegistry();

    private RuntimeMonitors(EdgeAppliance appliance, DeviceMonitors monitors, Action<string> log)
    {
        _appliance = appliance;
        _monitors = monitors;
        _log = log;
    }

    /// <summary>Monitors the registry's runtime devices now and follows its changes until disposed.</summary>
    public static RuntimeMonitors Follow(EdgeAppliance appliance, DeviceMonitors monitors, Action<string> log)
    {
        var runtime = new RuntimeMonitors(appliance, monitors, log);
        appliance.Registry.Changed += runtime.OnChange;
        foreach (var device in appliance.Registry.List().Where(d => d.Origin == DeviceOrigin.Runtime))
        {
            runtime.Start(device.Spec);
        }

        return runtime;
    }

    public void Dispose() => _appliance.Registry.Changed -= OnChange;

    private void OnChange(RegistryChange change)
    {
        if (change.PreviousName is { } previous)
        {
            _monitors.Remove(previous);
        }

        _monitors.Remove(change.Name);
        if (change.Device is { Origin: DeviceOrigin.Runtime } device)
        {
            Start(device.Spec);
        }
    }

    private void Start(DeviceSpec spec)
    {
        if (_appliance.Packs.FirstOrDefault(p => p.Name == spec.Type) is not { Monitor: { } declared } pack)
        {
            return;
        }

        var diagnostics = new DiagnosticBag();
        var ips = spec.Ips.Select(ip => Ip.TryParse(ip, out var v) ? v : (UInt128?)null).OfType<UInt128>().ToList();
        var entry = new MonitorEntry(spec.Name, PackMonitorArgs.For(declared, spec.Name), Credentials(spec), ips, pack);
        if (MonitorCompilation.Compile(_families, entry, diagnostics) is { } monitor)
        {
            _monitors.Add(new MonitoredDevice(spec.Name, monitor));
        }
        else
        {
            _log($"monitor {spec.Name}: not started: {string.Join("; ", diagnostics.Items.Select(d => d.Message))}");
        }
    }

    /// <summary>The device record's credentials as kalki.yaml would give them (read by the monitor; never logged).</summary>
    private static ArgNode? Credentials(DeviceSpec spec)
    {
        if (spec.CredentialsUser is null)
        {
            return null;
        }

        var at = new SourceSpan("credentials", 0, 0);
        List<KeyValuePair<ArgNode, ArgNode>> entries = [new(new ArgNode(at, "user"), new ArgNode(at, spec.CredentialsUser))];
        if (spec.CredentialsPassword is { } password)
        {
            entries.Add(new(new ArgNode(at, "password"), new ArgNode(at, password)));
        }

        return new ArgNode(at, entries);
    }
}
