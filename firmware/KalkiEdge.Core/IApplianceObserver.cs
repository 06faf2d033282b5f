namespace KalkiEdge.Core;

/// <summary>Everything the appliance reports as it runs: the replay JSON lines, the console, the dashboard.</summary>
public interface IApplianceObserver
{
    void OnAlert(Alert alert);

    void OnTransition(TransitionEvent transition);

    /// <summary>A frame that could not be decoded: counted and dropped, never forwarded.</summary>
    void OnMalformed(long frameNumber, string device, string reason);

    void OnUmboxLog(string device, string element, long timeMicros, string message);
}
