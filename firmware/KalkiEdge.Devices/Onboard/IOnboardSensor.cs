using KalkiEdge.Core.Policy;

namespace KalkiEdge.Devices.Onboard;

/// <summary>One of the appliance's own sensors, opened on its binding: a reading of every quantity it measures.</summary>
public interface IOnboardSensor : IDisposable
{
    /// <summary>Reads the sensor now; <see cref="IOException"/> when the hardware does not answer.</summary>
    IReadOnlyList<(string Quantity, EvValue Value)> Read();
}
