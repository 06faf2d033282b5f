using System.Buffers.Text;

namespace KalkiEdge.Umboxes.Application;

/// <summary>Appends protocol text to a span without allocating; reports overflow instead of throwing.</summary>
internal ref struct ByteWriter(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;

    public int Length { get; private set; }

    public bool Overflowed { get; private set; }

    public readonly ReadOnlySpan<byte> Written => _buffer[..Length];

    public void Write(scoped ReadOnlySpan<byte> bytes)
    {
        if (Overflowed || bytes.Length > _buffer.Length - Length)
        {
            Overflowed = true;
            return;
        }

        bytes.CopyTo(_buffer[Length..]);
        Length += bytes.Length;
    }

    public void Write(int value)
    {
        if (Overflowed || !Utf8Formatter.TryFormat(value, _buffer[Length..], out int written))
        {
            Overflowed = true;
            return;
        }

        Length += written;
    }
}
