namespace KalkiEdge.ControlPlane;

/// <summary>
/// Sends a command a rule issued to a device. Called on the control thread: an implementation queues the work and
/// returns at once (a slow device never delays a reaction), and reports a command it could not deliver through
/// <see cref="SecurityController.CommandFailed"/>.
/// </summary>
public interface ICommandSender
{
    void Send(string device, string command);
}
