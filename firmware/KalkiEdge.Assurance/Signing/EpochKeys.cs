using KalkiEdge.Assurance.Measurement;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// A signing stage's epoch keys, one per device for the chain generation in force: derived through the hypervisor
/// on a device's first frame and again after each swap (a new epoch), then reused for every frame until the next
/// swap. Bounded: beyond <see cref="Capacity"/> devices the table is emptied and keys are derived again as frames
/// come. Not thread-safe (one per stage).
/// </summary>
internal sealed class EpochKeys(IHypervisor hypervisor, EpochMac mac, ChainMeasurements measurements, byte[] session, SigningCounters counters) : IDisposable
{
    public const int Capacity = 4_096;

    private readonly Dictionary<DeviceSlot, Entry> _keys = new(ReferenceEqualityComparer.Instance);
    private Entry? _last; // bridges and replays see runs of one device's frames: skip the lookup for those

    /// <summary>The key for frames of <paramref name="device"/> leaving <paramref name="chain"/> of generation <paramref name="epoch"/>.</summary>
    public EpochKey For(DeviceSlot device, Chain chain, long epoch)
    {
        var entry = _last is { } last && ReferenceEquals(last.Device, device) ? last : Find(device);
        if (entry.Key is null || entry.Epoch != epoch || !ReferenceEquals(entry.Chain, chain))
        {
            entry.Key?.Dispose();
            entry.Key = new EpochKey(hypervisor, mac, session, device.Mac, measurements.For(chain.Definition), epoch);
            (entry.Chain, entry.Epoch) = (chain, epoch);
            counters.SignCalls++;
        }

        _last = entry;
        return entry.Key;
    }

    public void Dispose() => Clear();

    private Entry Find(DeviceSlot device)
    {
        if (_keys.TryGetValue(device, out var entry))
        {
            return entry;
        }

        if (_keys.Count >= Capacity)
        {
            Clear();
        }

        entry = new Entry(device);
        _keys.Add(device, entry);
        return entry;
    }

    private void Clear()
    {
        foreach (var entry in _keys.Values)
        {
            entry.Key?.Dispose();
        }

        _keys.Clear();
        _last = null;
    }

    private sealed class Entry(DeviceSlot device)
    {
        public DeviceSlot Device { get; } = device;

        public EpochKey? Key { get; set; }

        public Chain? Chain { get; set; }

        public long Epoch { get; set; }
    }
}
