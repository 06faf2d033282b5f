using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.ControlPlane;

/// <summary>The control plane's view of one device: its slot, pack, policy state, telemetry and deployed image.</summary>
public sealed class ControlledDevice
{
    private TelemetryConditionEvaluator? _telemetry;

    internal ControlledDevice(DeviceSlot slot, DeviceTypePack pack, DevicePolicyState policy, string? group, long samplingIntervalMicros)
    {
        Slot = slot;
        Pack = pack;
        Policy = policy;
        Group = group;
        SamplingIntervalMicros = samplingIntervalMicros;
    }

    public string Name => Slot.Name;

    public DeviceSlot Slot { get; }

    public DeviceTypePack Pack { get; }

    public DevicePolicyState Policy { get; }

    public string State => Policy.State;

    public string? Group { get; }

    /// <summary>Time between telemetry readings (rules may change it).</summary>
    public long SamplingIntervalMicros { get; internal set; }

    /// <summary>Made at the first reading (or first look): a device without a monitor pays nothing for it.</summary>
    public TelemetryConditionEvaluator Telemetry => _telemetry ??= new TelemetryConditionEvaluator(Pack.TelemetryAlerts);

    /// <summary>The sensor's latest reading, or null when none was read (never creates the evaluator).</summary>
    public EvValue? LatestReading(string sensor) => _telemetry is { } t && t.Latest.TryGetValue(sensor, out var v) ? v : null;

    /// <summary>Created at the first reading: a device without a monitor is never declared unavailable.</summary>
    internal AvailabilityWatch? Watch { get; set; }

    public string Image { get; internal set; } = "";

    /// <summary>The device's own change to one state's chain (its MUD allow-list), or null.</summary>
    public IChainOverlay? Overlay { get; internal set; }

    public bool FailClosed { get; internal set; }

    public int Transitions { get; internal set; }
}
