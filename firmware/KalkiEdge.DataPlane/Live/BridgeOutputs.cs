using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// Where one capture thread's frames leave the bridge: the uplink, each device port, and the route to the devices
/// (the port where the destination was seen, or every one). On a capture thread each port is that thread's
/// <see cref="ITransmitBatch"/>, owned and flushed here; otherwise (one frame at a time, as unit tests drive the
/// bridge) the ports themselves.
/// </summary>
internal sealed class BridgeOutputs : IDisposable
{
    private readonly ITransmitBatch[] _batches;

    public BridgeOutputs(IFrameSink uplink, IFrameSink[] devicePorts, IFrameSink toDevices)
    {
        Uplink = uplink;
        DevicePorts = devicePorts;
        ToDevices = toDevices;
        _batches = [.. devicePorts.Append(uplink).OfType<ITransmitBatch>()];
    }

    public IFrameSink Uplink { get; }

    public IFrameSink[] DevicePorts { get; }

    public IFrameSink ToDevices { get; }

    /// <summary>True while a batch holds frames not yet on the wire.</summary>
    public bool Pending
    {
        get
        {
            foreach (var batch in _batches)
            {
                if (batch.Count > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public void Flush()
    {
        foreach (var batch in _batches)
        {
            batch.Flush();
        }
    }

    /// <summary>Frees the batches (never the ports).</summary>
    public void Dispose()
    {
        foreach (var batch in _batches)
        {
            batch.Dispose();
        }
    }
}
