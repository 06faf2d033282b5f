using System.Buffers;
using System.Text;
using System.Text.Json;
using KalkiEdge.Management.Api;

namespace KalkiEdge.Management.Live;

/// <summary>
/// Encodes a round of live events as Server-Sent Events (<c>event: NAME</c>, <c>data: JSON</c>, a blank line), each
/// serialized once, into chunks of about <see cref="ChunkBytes"/> that every client's queue shares. JSON written by
/// the serializer never holds a raw line break, so one event is always one <c>data:</c> line.
/// </summary>
internal sealed class SseChunks : IDisposable
{
    public const int ChunkBytes = 64 * 1024;

    private readonly ArrayBufferWriter<byte> _buffer = new(ChunkBytes);
    private readonly Utf8JsonWriter _json;

    public SseChunks() => _json = new Utf8JsonWriter(_buffer);

    public void Encode(IReadOnlyList<StreamEvent> events, List<byte[]> chunks)
    {
        _buffer.ResetWrittenCount();
        foreach (var e in events)
        {
            Write("event: ");
            Write(e.Name);
            Write("\ndata: ");
            _json.Reset(_buffer);
            JsonSerializer.Serialize(_json, e.Payload, e.Payload.GetType(), ApiJsonContext.Default);
            _json.Flush();
            Write("\n\n");
            if (_buffer.WrittenCount >= ChunkBytes)
            {
                Cut(chunks);
            }
        }

        Cut(chunks);
    }

    public void Dispose() => _json.Dispose();

    private void Cut(List<byte[]> chunks)
    {
        if (_buffer.WrittenCount > 0)
        {
            chunks.Add(_buffer.WrittenSpan.ToArray());
            _buffer.ResetWrittenCount();
        }
    }

    private void Write(string ascii) => _buffer.Advance(Encoding.UTF8.GetBytes(ascii, _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(ascii.Length))));
}
