using KalkiEdge.Export.Events;

namespace KalkiEdge.Export.Eve;

/// <summary>
/// EVE lines written synchronously to a stream, in event order (<c>replay --eve</c> to stdout). For a live
/// appliance use <see cref="EveFileSink"/>, which never makes the control loop wait for a disk.
/// </summary>
public sealed class EveStreamSink(Stream output) : IEventSink
{
    private readonly Lock _gate = new();

    public long Written { get; private set; }

    public void Publish(ApplianceEvent e)
    {
        lock (_gate)
        {
            output.Write(e.EveLine);
            output.Flush();
            Written++;
        }
    }
}
