using KalkiEdge.Core;

namespace KalkiEdge.TestKit;

/// <summary>Keeps the alerts and transitions the appliance reports, for a test or a benchmark to inspect.</summary>
public sealed class RecordingObserver : IApplianceObserver
{
    public List<Alert> Alerts { get; } = [];

    public List<TransitionEvent> Transitions { get; } = [];

    public void OnAlert(Alert alert) => Alerts.Add(alert);

    public void OnTransition(TransitionEvent transition) => Transitions.Add(transition);

    public void OnMalformed(long frameNumber, string device, string reason)
    {
    }

    public void OnUmboxLog(string device, string element, long timeMicros, string message)
    {
    }
}
