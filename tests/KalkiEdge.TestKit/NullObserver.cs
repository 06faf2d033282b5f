using KalkiEdge.Core;

namespace KalkiEdge.TestKit;

/// <summary>Ignores everything the appliance reports (benchmarks measure the engine, not the console).</summary>
public sealed class NullObserver : IApplianceObserver
{
    public void OnAlert(Alert alert)
    {
    }

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
