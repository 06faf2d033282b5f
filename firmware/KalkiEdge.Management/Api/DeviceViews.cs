using KalkiEdge.Appliance.Control;
using KalkiEdge.ControlPlane;
using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Management.Api;

/// <summary>Builds the API's device shapes from the registry, the engine's slots, the control plane and the activity tracker.</summary>
internal sealed class DeviceViews(ManagementContext m)
{
    public const int DetailRows = 200;

    /// <summary>Every device; one pass over the engine's slots (no per-device lookups that scan).</summary>
    public IReadOnlyList<DeviceSummary> All()
    {
        var slots = Slots();
        return [.. m.Appliance.Registry.List().Select(d => Summary(d, slots.GetValueOrDefault(d.Spec.Name)))];
    }

    public DeviceSummary? One(string name) =>
        m.Appliance.Registry.Find(name) is { } d ? Summary(d, Slots().GetValueOrDefault(name)) : null;

    public DeviceSummary Summary(RegisteredDevice device, DeviceSlot? slot)
    {
        var spec = device.Spec;
        m.Appliance.Control.Devices.TryGetValue(spec.Name, out var controlled);
        var definition = slot?.Chain?.Definition;
        var alert = m.Activity.NewestAlert(spec.Name);
        return new DeviceSummary(
            spec.Name,
            spec.Type,
            spec.Mac,
            slot is null ? spec.Ips : [.. slot.Ips.ToArray().Select(Ip.Format)],
            controlled?.State,
            definition?.Image ?? definition?.Text,
            definition?.Image,
            alert is null ? null : new AlertInfo(alert.Type, alert.TimeMicros, alert.Info),
            m.Activity.LastSeen(spec.Name),
            device.Origin == DeviceOrigin.Config ? "config" : "runtime",
            Panel.Pairing.RegistryAdmission.NeedsReview(spec.Description),
            slot is null ? 0 : Interlocked.Read(ref slot.Counters.Forwarded),
            slot is null ? 0 : Interlocked.Read(ref slot.Counters.Dropped));
    }

    public DeviceDetail? Detail(string name)
    {
        if (m.Appliance.Registry.Find(name) is not { } device)
        {
            return null;
        }

        var slot = Slots().GetValueOrDefault(name);
        var store = m.Appliance.Store?.Store;
        var chain = slot?.Chain;
        var elements = chain is null ? [] : chain.Elements.Select((e, i) => new ElementInfo(
            e.Name, chain.Definition.Specs.ElementAtOrDefault(i)?.Name ?? e.Name,
            Interlocked.Read(ref e.Counters.Forwarded), Interlocked.Read(ref e.Counters.Dropped), Interlocked.Read(ref e.Counters.Alerts))).ToList();
        var telemetry = (store?.Telemetry(name, DetailRows) ?? [])
            .GroupBy(r => r.Sensor, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<ReadingInfo>)[.. g.Select(r => new ReadingInfo(r.TimeMicros, r.Value))], StringComparer.Ordinal);
        var spec = device.Spec;
        return new DeviceDetail(
            Summary(device, slot),
            spec.Description,
            spec.Group,
            spec.CredentialsUser is null ? null : new CredentialsInfo(spec.CredentialsUser),
            elements,
            [.. (store?.Alerts(name, DetailRows) ?? []).Select(a => new AlertInfo(a.Type, a.TimeMicros, a.Info) { Source = a.Source, Element = a.Element, Count = a.Count })],
            [.. (store?.Transitions(name, DetailRows) ?? []).Select(t => new TransitionInfo(t.From, t.To, t.Rule, t.TimeMicros, t.ReactionMicros,
                [.. t.Stages.Select(s => new StageInfo(s.Stage, s.TimeMicros, s.Info))]))],
            [.. (store?.StateHistory(name, DetailRows) ?? []).Select(s => new StateInfo(s.State, s.SinceMicros))],
            telemetry,
            m.Activity.Traffic(name),
            MudInForce(name));
    }

    /// <summary>The control plane's overlay for the device, not the store's record: a file that was refused at start is not in force.</summary>
    private string? MudInForce(string name) =>
        m.Appliance.Control.Devices.TryGetValue(name, out var controlled) && controlled.Overlay is MudAllowList mud ? mud.Url : null;

    private Dictionary<string, DeviceSlot> Slots()
    {
        var slots = new Dictionary<string, DeviceSlot>(StringComparer.Ordinal);
        foreach (var slot in m.Appliance.Engine.Devices.All)
        {
            slots[slot.Name] = slot;
        }

        return slots;
    }
}
