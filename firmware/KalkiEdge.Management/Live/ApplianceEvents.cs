using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Core;
using KalkiEdge.Management.Api;
using KalkiEdge.Store;

namespace KalkiEdge.Management.Live;

/// <summary>
/// Connects the control plane's and the registry's events to the live stream: pushed as they happen, never polled.
/// The handlers run on the control plane's thread, so they only hand a small object to the hub.
/// </summary>
internal sealed class ApplianceEvents : IDisposable
{
    private readonly Appliance.EdgeAppliance _appliance;
    private readonly Action<Alert> _onAlert;
    private readonly Action<TransitionEvent> _onTransition;
    private readonly Action<RegistryChange> _onChange;

    public ApplianceEvents(ManagementContext m)
    {
        _appliance = m.Appliance;
        var views = new DeviceViews(m);
        _onAlert = a =>
        {
            m.Activity.OnAlert(a);
            m.Events.Publish("alert", new AlertInfo(a.Type, a.TimeMicros, a.Info) { Device = a.Device, Source = a.Source.ToString(), Element = a.Element, Count = a.Count });
        };
        _onTransition = t => m.Events.Publish("transition", new TransitionEventInfo(t.Device, t.From, t.To, t.Rule, t.ReactionMicros, t.FinishMicros));
        _onChange = c =>
        {
            if (c.PreviousName is { } previous && previous != c.Name)
            {
                m.Events.Publish("device", Deleted(previous));
            }

            m.Events.Publish("device", c.Device is null ? Deleted(c.Name) : views.One(c.Name) ?? Deleted(c.Name));
        };
        _appliance.Control.AlertEvaluated += _onAlert;
        _appliance.Control.Transitioned += _onTransition;
        _appliance.Registry.Changed += _onChange;
    }

    public void Dispose()
    {
        _appliance.Control.AlertEvaluated -= _onAlert;
        _appliance.Control.Transitioned -= _onTransition;
        _appliance.Registry.Changed -= _onChange;
    }

    private static DeviceSummary Deleted(string name) => new(name, null, "", [], null, null, null, null, null, "runtime", false, 0, 0) { Deleted = true };
}
