using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Management.Api;

namespace KalkiEdge.Management.Live;

/// <summary>
/// Devices added, edited and deleted at run time, pushed to the dashboard's stream as <c>device</c> events as they
/// are committed (alerts and state changes reach the stream through the appliance's event hub instead).
/// </summary>
internal sealed class RegistryEvents : IDisposable
{
    private readonly Appliance.EdgeAppliance _appliance;
    private readonly Action<RegistryChange> _onChange;

    public RegistryEvents(ManagementContext m)
    {
        _appliance = m.Appliance;
        var views = new DeviceViews(m);
        _onChange = c =>
        {
            if (c.PreviousName is { } previous && previous != c.Name)
            {
                m.Events.Publish("device", Deleted(previous));
            }

            m.Events.Publish("device", c.Device is null ? Deleted(c.Name) : views.One(c.Name) ?? Deleted(c.Name));
        };
        _appliance.Registry.Changed += _onChange;
    }

    public void Dispose() => _appliance.Registry.Changed -= _onChange;

    private static DeviceSummary Deleted(string name) => new(name, null, "", [], null, null, null, null, null, "runtime", false, 0, 0) { Deleted = true };
}
