using KalkiEdge.Appliance;
using KalkiEdge.Export.Fleet;
using KalkiEdge.Management;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// What the fleet's operators may see and do: the control socket's own actions (<see cref="OperatorActions"/>), plus
/// opening the pairing window; each audited with the operator's identity like the control socket's.
/// </summary>
internal sealed class FleetOperations(EdgeAppliance appliance) : IFleetOperations
{
    private readonly OperatorActions _actions = new(appliance);

    public IReadOnlyList<FleetDevice> Devices() =>
        [.. _actions.List().Devices.Select(d => new FleetDevice(d.Name, d.Type, d.State, d.Chain, d.FailClosed, d.Forwarded, d.Dropped, d.Replied))];

    public string? Reset(string device, string actor, string? reason) => _actions.Reset(device, actor, reason).Refusal;

    public string? OpenPairing(string actor)
    {
        if (appliance.Pairing is not { } pairing)
        {
            return "pairing is off on this appliance (its site config has no 'panel' section)";
        }

        var now = WallMicros();
        pairing.Window.OpenOrExtend(now);
        Audit(actor, "pairing-open", $"pairing window open, {pairing.Window.RemainingSeconds(now)} s left");
        return null;
    }

    public void Audit(string actor, string action, string detail) => appliance.Store?.Writer.Audit(WallMicros(), actor, action, detail);

    private static long WallMicros() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;
}
