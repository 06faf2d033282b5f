using KalkiEdge.Appliance;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Management;

/// <summary>What the operator may see and do on a running appliance; the control socket's handlers call it.</summary>
public sealed class OperatorActions(EdgeAppliance appliance)
{
    public const int MaxReasonLength = 200;

    public DeviceList List() =>
        new([.. appliance.Engine.Devices.All.ToArray().OrderBy(d => d.Name, StringComparer.Ordinal).Select(Status)]);

    public DeviceStatus? Find(string name) => appliance.Engine.Devices.ByName(name) is { } slot ? Status(slot) : null;

    /// <summary>Queues a state reset. Null with the refusal when the device is unknown, has no state, or the reason is unusable.</summary>
    public (ResetAccepted? Accepted, string? Refusal, bool UnknownDevice) Reset(string name, string actor, string? reason)
    {
        if (reason is { Length: > MaxReasonLength } || (reason?.Any(char.IsControl) ?? false))
        {
            return (null, $"reason must be at most {MaxReasonLength} printable characters", false);
        }

        if (!appliance.Control.Devices.TryGetValue(name, out var device))
        {
            return appliance.Engine.Devices.ByName(name) is null
                ? (null, $"no device named '{name}' (GET /devices lists them)", true)
                : (null, $"device '{name}' has a fixed chain and no security state to reset", false);
        }

        var from = device.State;
        appliance.Control.ResetState(name, actor, reason);
        return (new ResetAccepted(name, from, device.Pack.Initial, actor), null, false);
    }

    private DeviceStatus Status(DeviceSlot slot)
    {
        appliance.Control.Devices.TryGetValue(slot.Name, out var controlled);
        var chain = slot.Chain?.Definition;
        return new DeviceStatus(
            slot.Name,
            controlled?.Pack.Name,
            controlled?.Group,
            controlled?.State,
            chain?.Image ?? chain?.Text,
            controlled?.FailClosed ?? false,
            controlled?.Transitions ?? 0,
            Interlocked.Read(ref slot.Counters.Forwarded),
            Interlocked.Read(ref slot.Counters.Dropped),
            Interlocked.Read(ref slot.Counters.Replied),
            Panel.Pairing.RegistryAdmission.NeedsReview(appliance.Registry.Find(slot.Name)?.Spec.Description));
    }
}
