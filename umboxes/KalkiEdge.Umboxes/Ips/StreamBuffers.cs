namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// The reassembly buffers of one <c>ips</c> element's TCP sessions. A stream direction takes a block at its first
/// data segment and gives it back when its session closes or its flow entry is taken by another flow, so a steady
/// stream of new connections allocates nothing once enough blocks exist (a fresh 10 KB per connection costs more
/// than inspecting it). At most <c>maxBlocks</c> are ever handed out (<c>stream-memory</c>); a direction that
/// finds none is inspected packet by packet, and that is counted (<see cref="Exhausted"/>).
/// </summary>
public sealed class StreamBuffers(int size, int maxBlocks)
{
    private readonly Stack<StreamBlock> _free = new();
    private int _handedOut;

    /// <summary>Bytes of stream data a block holds (<c>stream-window + stream-out-of-order</c>).</summary>
    public int Size => size;

    /// <summary>Blocks in use by stream directions now.</summary>
    public int InUse => _handedOut - _free.Count;

    /// <summary>Times a direction needed a block and the memory bound had none left.</summary>
    public long Exhausted { get; private set; }

    /// <summary>A block whose <see cref="StreamBlock.Held"/> is all zero, or null when <c>maxBlocks</c> are in use.</summary>
    public StreamBlock? Rent()
    {
        if (_free.TryPop(out var block))
        {
            return block;
        }

        if (_handedOut >= maxBlocks)
        {
            Exhausted++;
            return null;
        }

        _handedOut++;
        return new StreamBlock(new byte[size], new byte[size]);
    }

    /// <summary>Takes back a block; its <see cref="StreamBlock.Held"/> must be all zero again (the direction clears what it marked).</summary>
    public void Return(StreamBlock block) => _free.Push(block);
}

/// <summary>One direction's stream bytes and, beside them, a byte per position saying whether it is held.</summary>
public sealed record StreamBlock(byte[] Data, byte[] Held);
