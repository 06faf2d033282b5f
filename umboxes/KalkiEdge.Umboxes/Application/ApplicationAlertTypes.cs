namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// Alert types proposed by the application-layer elements that DESIGN.md's list does not name yet
/// (to be added to <c>KalkiEdge.Core.AlertTypes</c> by the lead). Packs may also configure their own.
/// </summary>
public static class ApplicationAlertTypes
{
    /// <summary>Someone tried to control the device (a state-changing request answered by a decoy or refused).</summary>
    public const string ControlAttempt = "control-attempt";
}
