using KalkiEdge.Core.Policy;

namespace KalkiEdge.ControlPlane.Telemetry;

/// <summary>
/// Where every reading enters the control plane, whatever produced it (a device monitor, the appliance's own
/// sensors). Thread-safe; a reading for a device not under control is ignored.
/// </summary>
public interface ITelemetrySink
{
    /// <summary>One reading of one pack sensor of a device, at a control-clock time.</summary>
    void Reading(string device, string sensor, EvValue value, long timeMicros);

    /// <summary>
    /// A source now produces readings for the device: from <paramref name="sinceMicros"/> on, a device that gives no
    /// reading for the watchdog's multiple of its sampling interval is unavailable, even if it never gave one.
    /// </summary>
    void Expect(string device, long sinceMicros);
}
