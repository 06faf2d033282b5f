using System.Buffers;
using KalkiEdge.Export.Events;

namespace KalkiEdge.Export.Eve;

/// <summary>
/// EVE lines written synchronously to a stream, in event order (<c>replay --eve</c> to stdout). For a live
/// appliance use <see cref="EveFileSink"/>, which never makes the control loop wait for a disk.
/// </summary>
public sealed class EveStreamSink(Stream output) : IEventSink
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    public long Written { get; private set; }

    public void Publish(ApplianceEvent e)
    {
        lock (_buffer)
        {
            _buffer.ResetWrittenCount();
            EveFormat.WriteLine(e, _buffer);
            output.Write(_buffer.WrittenSpan);
            output.Flush();
            Written++;
        }
    }
}
