using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// One port as a capture thread serves it: the frame read into, the chain context, the egress stage and the transmit
/// batches its frames leave through. A per-port thread has one lane; the polling core has one per port, so each
/// port's frames are batched and released exactly as on a thread of its own. Owned by one thread.
/// </summary>
internal sealed class CaptureLane : IDisposable
{
    private readonly BridgeOutputs _flushedHere;

    /// <param name="index">The device port's index, or the number of device ports for the uplink.</param>
    /// <param name="flushedHere">The outputs this thread flushes itself (none when a threaded egress owns them).</param>
    public CaptureLane(IBridgePort port, int index, ElementContext context, IBridgeEgress egress, BridgeOutputs outputs, BridgeOutputs flushedHere)
    {
        Port = port;
        Index = index;
        Frame = new Frame { Ingress = port.Name };
        Context = context;
        Egress = egress;
        Outputs = outputs;
        _flushedHere = flushedHere;
    }

    public IBridgePort Port { get; }

    public int Index { get; }

    public Frame Frame { get; }

    public ElementContext Context { get; }

    public IBridgeEgress Egress { get; }

    public BridgeOutputs Outputs { get; }

    /// <summary>
    /// Reads the next frame, blocking (false once the port stops). While the egress holds frames or a transmit batch
    /// is not yet sent, the port is polled, and the moment it has nothing more to read everything held is released
    /// and sent: frames wait for a batch only while more frames are already queued behind them, never for traffic
    /// that has not arrived.
    /// </summary>
    public bool Next()
    {
        while (Holding)
        {
            var read = ReadNow();
            if (read != PortRead.Empty)
            {
                return read == PortRead.Frame;
            }
        }

        // Something comes due while the port stays dry (an epoch batch's root): wait for a frame only until then.
        while (Egress.ReleaseDueIn is { } due)
        {
            var read = Port.ReadWithin(Frame, due);
            if (read != PortRead.Empty)
            {
                return read == PortRead.Frame;
            }

            Egress.Release();
        }

        return Port.TryRead(Frame);
    }

    /// <summary>
    /// Reads a frame if one is waiting, never blocking. When none is, the port has run dry: what the lane holds is
    /// released and sent, and a release that came due (<see cref="IBridgeEgress.ReleaseDueIn"/>) is made.
    /// </summary>
    public PortRead ReadNow()
    {
        var read = Port.ReadNow(Frame);
        if (read == PortRead.Empty)
        {
            if (Holding)
            {
                Release();
            }
            else if (Egress.ReleaseDueIn is { } due && due <= TimeSpan.Zero)
            {
                Egress.Release();
            }
        }

        return read;
    }

    /// <summary>The thread stops normally: nothing stays held.</summary>
    public void Finish() => Release();

    /// <summary>The egress first: its own thread may still be sending into the batches.</summary>
    public void Dispose()
    {
        try
        {
            Egress.Dispose();
        }
        finally
        {
            Outputs.Dispose();
        }
    }

    private bool Holding => Egress.Holding || _flushedHere.Pending;

    /// <summary>The egress releases what it holds into the batches, then the batches go on the wire.</summary>
    private void Release()
    {
        Egress.Release();
        _flushedHere.Flush();
    }
}
