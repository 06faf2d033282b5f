using KalkiEdge.Core;

namespace KalkiEdge.TestKit;

/// <summary>Keeps nothing the appliance reports, only the number of alerts (benchmarks measure the engine, not the console).</summary>
public sealed class NullObserver : IApplianceObserver
{
    public long Alerts { get; private set; }

    public void OnAlert(Alert alert) => Alerts++;

    public void OnTransition(TransitionEvent transition)
    {
    }

    public void OnMalformed(long frameNumber, string device, string reason)
    {
    }

    public void OnUmboxLog(string device, string element, long timeMicros, string message)
    {
    }
}
