using KalkiEdge.Assurance.Measurement;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// A signing stage's epoch keys, one per device for the chain generation in force: derived through the hypervisor
/// on a device's first frame and again after each swap (a new epoch), then reused for every frame until the next
/// swap. A device's key is also put in its <see cref="DeviceSlot.SigningState"/> when no other stage holds that,
/// so a frame finds its key through the device the engine already has in hand, with no table lookup: with 1,000
/// devices the lookup and the cold lines it crosses cost about as much as the tag. Bounded: beyond
/// <see cref="Capacity"/> devices the table is emptied (and the devices' slots released) and keys are derived again
/// as frames come. Not thread-safe (one per stage).
/// </summary>
internal sealed class EpochKeys(IHypervisor hypervisor, EpochMac mac, ChainMeasurements measurements, byte[] session, SigningCounters counters) : IDisposable
{
    public const int Capacity = 4_096;

    private readonly Dictionary<DeviceSlot, EpochKey> _keys = new(ReferenceEqualityComparer.Instance);

    // Devices whose slot another stage holds: bridges and replays see runs of one device's frames, skip the lookup.
    private DeviceSlot? _lastDevice;
    private EpochKey? _last;

    /// <summary>The key for frames of <paramref name="device"/> leaving <paramref name="chain"/> of generation <paramref name="epoch"/>.</summary>
    public EpochKey For(DeviceSlot device, Chain chain, long epoch)
    {
        if (device.SigningState is EpochKey held && ReferenceEquals(held.Owner, this) && IsFor(held, chain, epoch))
        {
            return held;
        }

        if (ReferenceEquals(_lastDevice, device) && IsFor(_last!, chain, epoch))
        {
            return _last!;
        }

        (_lastDevice, _last) = (device, Renew(device, chain, epoch));
        return _last;
    }

    public void Dispose() => Clear();

    private static bool IsFor(EpochKey key, Chain chain, long epoch) => key.Epoch == epoch && ReferenceEquals(key.Chain, chain);

    // The table's key for the device if it is for this generation; else a new one, derived through the hypervisor,
    // which replaces the previous one in the table and in the device's slot (or takes the slot if it is free).
    private EpochKey Renew(DeviceSlot device, Chain chain, long epoch)
    {
        if (_keys.TryGetValue(device, out var previous) && IsFor(previous, chain, epoch))
        {
            return previous;
        }

        if (previous is null && _keys.Count >= Capacity)
        {
            Clear();
        }

        var key = new EpochKey(hypervisor, mac, session, device.Mac, measurements.For(chain.Definition), epoch) { Owner = this, Chain = chain };
        counters.SignCalls++;
        _keys[device] = key;
        if (previous is null || !device.TrySwapSigningState(previous, key))
        {
            device.TrySwapSigningState(null, key);
        }

        previous?.Dispose();
        return key;
    }

    private void Clear()
    {
        foreach (var (device, key) in _keys)
        {
            device.TrySwapSigningState(key, null);
            key.Dispose();
        }

        _keys.Clear();
        (_lastDevice, _last) = (null, null);
    }
}
