using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Devices.Onboard;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// The appliance's own sensors while they run, following the device registry: a device added at run time
/// (dashboard, API, pairing) gets the readings of the site's sensors its pack declares, a device edited to another
/// type gets what fits its new pack, and a deleted device gets none. Disposing stops the sensors and the hook.
/// </summary>
public sealed class SensorRuntime : IDisposable
{
    private readonly EdgeAppliance _appliance;
    private readonly Action<string> _log;

    private SensorRuntime(EdgeAppliance appliance, OnboardSensors sensors, Action<string> log)
    {
        _appliance = appliance;
        Sensors = sensors;
        _log = log;
    }

    public OnboardSensors Sensors { get; }

    /// <summary>Joins the registry's runtime devices now and follows its changes until disposed.</summary>
    public static SensorRuntime Follow(EdgeAppliance appliance, OnboardSensors sensors, Action<string> log)
    {
        var runtime = new SensorRuntime(appliance, sensors, log);
        appliance.Registry.Changed += runtime.OnChange;
        foreach (var device in appliance.Registry.List().Where(d => d.Origin == DeviceOrigin.Runtime))
        {
            runtime.Join(device);
        }

        return runtime;
    }

    public void Dispose()
    {
        _appliance.Registry.Changed -= OnChange;
        Sensors.Dispose();
    }

    private void OnChange(RegistryChange change)
    {
        if (change.PreviousName is { } previous)
        {
            Sensors.LeaveSite(previous);
        }

        if (change.Device is { Origin: DeviceOrigin.Runtime } device)
        {
            Join(device);
        }
        else
        {
            Sensors.LeaveSite(change.Name);
        }
    }

    private void Join(RegisteredDevice device)
    {
        var pack = _appliance.Packs.FirstOrDefault(p => p.Name == device.Spec.Type);
        var joined = Sensors.JoinSite(device.Spec.Name, pack);
        if (joined.Count > 0)
        {
            _log($"onboard sensors: {string.Join(", ", joined)} -> {device.Spec.Name} (added at run time)");
        }
    }
}
