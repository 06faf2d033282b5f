namespace KalkiEdge.Export.Fleet;

/// <summary>A device as the fleet's inventory shows it.</summary>
public sealed record FleetDevice(string Name, string? Pack, string? State, string? Chain, bool FailClosed, long Forwarded, long Dropped, long Replied);

/// <summary>
/// What the fleet publisher reads from and asks of the running appliance: the same operator actions the control
/// socket and the dashboard take, each audited with the actor it is given. Called from the publisher's threads.
/// </summary>
public interface IFleetOperations
{
    IReadOnlyList<FleetDevice> Devices();

    /// <summary>Queues a state reset (audited); the refusal when the device is unknown, has no state, or the reason is unusable.</summary>
    string? Reset(string device, string actor, string? reason);

    /// <summary>Opens (or extends) the pairing window (audited); the refusal when pairing is off.</summary>
    string? OpenPairing(string actor);

    /// <summary>A refused command, into the audit log.</summary>
    void Audit(string actor, string action, string detail);
}
