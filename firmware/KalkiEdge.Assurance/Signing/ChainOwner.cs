using KalkiEdge.DataPlane;

namespace KalkiEdge.Assurance.Signing;

/// <summary>Which device's chain handled a frame, by the engine's own attribution rules (what <see cref="SigningStage.Submit"/> needs).</summary>
public static class ChainOwner
{
    /// <summary>
    /// Where the engine's <see cref="ElementContext.Ran"/> for the frame is not at hand (a frame merged from an engine
    /// thread): the generation in force now for the device whose chain handled it; <see cref="ChainRun.None"/> when none did.
    /// </summary>
    public static ChainRun RunOf(PacketEngine engine, Frame frame) => ChainRun.InForce(Of(engine, frame));

    /// <summary>The device slot (or the network pseudo-device for group traffic to the devices); null when no chain ran for it.</summary>
    public static DeviceSlot? Of(PacketEngine engine, Frame frame)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(frame);
        if (!frame.HasEthernetHeader)
        {
            return null;
        }

        if (frame.Direction == Direction.FromDevice)
        {
            return engine.Devices.ByMac(frame.SrcMac);
        }

        return Mac.IsGroup(frame.DstMac) ? engine.Network : engine.Devices.ByMac(frame.DstMac);
    }
}
