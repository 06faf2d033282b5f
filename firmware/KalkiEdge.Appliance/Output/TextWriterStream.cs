using System.Text;

namespace KalkiEdge.Appliance.Output;

/// <summary>
/// A write-only stream that decodes UTF-8 into a <see cref="TextWriter"/> as it goes, so a long JSON line (the
/// summary of 10,000 devices) is written in chunks instead of being built whole as bytes and then as a string.
/// </summary>
internal sealed class TextWriterStream(TextWriter output) : Stream
{
    private const int ChunkChars = 4096;

    // Stateful: a multi-byte character split between two writes is completed by the second.
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly char[] _chars = new char[ChunkChars];

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            _decoder.Convert(buffer, _chars, flush: false, out int used, out int produced, out _);
            output.Write(_chars, 0, produced);
            buffer = buffer[used..];
        }
    }

    public override void Flush() => output.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
