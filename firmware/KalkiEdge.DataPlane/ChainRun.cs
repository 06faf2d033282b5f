namespace KalkiEdge.DataPlane;

/// <summary>
/// The chain generation that processed a frame: the device, the chain that ran and the device's epoch, read together
/// under the device's gate (a swap, which takes the gate, falls wholly before or after). <see cref="Device"/> null:
/// no chain ran for the frame.
/// </summary>
public readonly record struct ChainRun(DeviceSlot? Device, Chain? Chain, long Epoch)
{
    /// <summary>No chain ran (unknown source, malformed before attribution, no such device).</summary>
    public static ChainRun None => default;

    /// <summary>
    /// The generation in force for <paramref name="device"/> now, for a frame whose run was not recorded: its chain read
    /// before its epoch, so a swap in between reads as stale at egress; <see cref="None"/> for no device.
    /// </summary>
    public static ChainRun InForce(DeviceSlot? device)
    {
        var chain = device?.Chain;
        return device is null ? None : new ChainRun(device, chain, device.Epoch);
    }
}
