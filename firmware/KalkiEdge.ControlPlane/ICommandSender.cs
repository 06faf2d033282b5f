namespace KalkiEdge.ControlPlane;

/// <summary>
/// Sends a command to a device. Nothing implements it yet (there is no device telemetry interface): a firing
/// rule's commands are recorded in the store's command log only.
/// </summary>
public interface ICommandSender
{
    void Send(string device, string command);
}
