using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// A copy of a frame that left a chain, held until it is signed and sent: its bytes, the chain generation that
/// produced it (device, chain, epoch, read just after the chain ran) and where it goes. Batched signing holds frames
/// until their batch is verified; the live bridge's signing thread is handed them through its ring. Preallocated and
/// reused: holding a frame copies its bytes and allocates nothing.
/// </summary>
public sealed class HeldFrame
{
    public Frame Frame { get; } = new(2048);

    /// <summary>The device whose chain produced the frame (null: none did; the frame is dropped untagged).</summary>
    public DeviceSlot? Device { get; internal set; }

    public Chain? Chain { get; private set; }

    public long Epoch { get; private set; }

    public IFrameSink? Sink { get; private set; }

    /// <summary>Copies <paramref name="frame"/> and records the generation that produced it and where it goes.</summary>
    public void Hold(Frame frame, DeviceSlot? device, Chain? chain, long epoch, IFrameSink? sink)
    {
        ArgumentNullException.ThrowIfNull(frame);
        Frame.CopyFrom(frame);
        Device = device;
        Chain = chain;
        Epoch = epoch;
        Sink = sink;
    }

    /// <summary>Drops the references, so an idle holder keeps no device or chain alive.</summary>
    public void Clear()
    {
        Device = null;
        Chain = null;
        Sink = null;
    }
}
