using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.ControlPlane;

/// <summary>The control plane's view of one device: its slot, pack, policy state, telemetry and deployed image.</summary>
public sealed class ControlledDevice
{
    internal ControlledDevice(DeviceSlot slot, DeviceTypePack pack, DevicePolicyState policy, string? group, long samplingIntervalMicros)
    {
        Slot = slot;
        Pack = pack;
        Policy = policy;
        Group = group;
        SamplingIntervalMicros = samplingIntervalMicros;
        Telemetry = new TelemetryConditionEvaluator(pack.TelemetryAlerts);
    }

    public string Name => Slot.Name;

    public DeviceSlot Slot { get; }

    public DeviceTypePack Pack { get; }

    public DevicePolicyState Policy { get; }

    public string State => Policy.State;

    public string? Group { get; }

    /// <summary>Time between telemetry readings (rules may change it).</summary>
    public long SamplingIntervalMicros { get; internal set; }

    public TelemetryConditionEvaluator Telemetry { get; }

    /// <summary>Created at the first reading: a device without a monitor is never declared unavailable.</summary>
    internal AvailabilityWatch? Watch { get; set; }

    public string Image { get; internal set; } = "";

    public bool FailClosed { get; internal set; }

    public int Transitions { get; internal set; }
}
