namespace KalkiEdge.Umboxes.Ips;

/// <summary>How the stream took a segment.</summary>
public enum SegmentOutcome : byte
{
    /// <summary>Stored (or found already stored); the window and the packet's bytes come from the stream.</summary>
    Reassembled,

    /// <summary>One byte at the last sequence number already held: a TCP keep-alive probe (RFC 1122 allows a garbage octet), not stream data.</summary>
    KeepAlive,

    /// <summary>All of it lies before the data the stream still holds (an old retransmission or a forged old segment).</summary>
    BeforeWindow,

    /// <summary>It starts beyond the out-of-order space: not stored, inspected alone.</summary>
    BeyondBuffer,

    /// <summary>The direction passed <c>stream-depth</c>: no more reassembly, packets are inspected alone.</summary>
    DepthReached,

    /// <summary>No buffer was free within <c>stream-memory</c>: inspected alone.</summary>
    NoMemory,
}

/// <summary>What <see cref="TcpStreamDirection.Add"/> did, and where in its buffer the inspection window and the packet lie.</summary>
public readonly record struct SegmentResult(SegmentOutcome Outcome, int WindowStart, int WindowEnd, int PacketStart, int PacketEnd, bool OverlapDifferent, bool Truncated);

/// <summary>
/// One direction of a TCP session, reassembled the way Suricata 7's stream engine does in inline (IPS) mode:
/// <list type="bullet">
/// <item>Bytes are placed by sequence number. In order they extend the contiguous data; ahead of a gap they wait
/// in the out-of-order space (at most <c>outOfOrder</c> bytes ahead, in any number of pieces) until the gap is
/// filled.</item>
/// <item>Overlaps: the first bytes received for a sequence number win ("first" policy, what an inline engine
/// has already let through). A segment that overlaps stored data with different bytes is inspected as the stored
/// bytes and reported (<see cref="SegmentResult.OverlapDifferent"/>), so neither order of a split-and-overlap
/// evasion hides content. Identical overlaps (retransmissions) are silent.</item>
/// <item>The inspection window of a segment is the run of stored data it belongs to, ending where that run ends
/// and at most <c>window</c> bytes long (Suricata's inline chunk): in order, the latest contiguous data; out of
/// order, the out-of-order run around the segment.</item>
/// <item>A one-byte segment at the last sequence number held is a keep-alive probe, as Suricata takes it: not
/// stored, not compared.</item>
/// <item>After <c>depth</c> bytes in order, the direction is no longer reassembled.</item>
/// </list>
/// Memory is a block of <c>window + outOfOrder</c> bytes and a byte per position saying whether it is held, taken
/// from the element's <see cref="StreamBuffers"/> at the first data and given back by <see cref="Reset"/>.
/// </summary>
/// <param name="buffers">Where its block comes from; a block's size is <c>window</c> plus the out-of-order space.</param>
public sealed class TcpStreamDirection(int window, long depth, StreamBuffers buffers)
{
    // Data, and beyond the contiguous data a 1 where a byte is held.
    private StreamBlock? _block;
    private uint _base;
    private int _contiguous;

    // Held marks lie only in [_contiguous, _heldEnd): what Reset must clear before the block goes back.
    private int _heldEnd;
    private long _inOrder;

    /// <summary>A direction with its own buffers (tests, and anything reassembling a single stream).</summary>
    public TcpStreamDirection(int window, int outOfOrder, long depth)
        : this(window, depth, new StreamBuffers(window + outOfOrder, 1))
    {
    }

    public bool Started { get; private set; }

    public bool DepthReached { get; private set; }

    /// <summary>Forgets everything and gives its buffers back (the session closed, or the flow entry now holds another flow).</summary>
    public void Reset()
    {
        Started = false;
        DepthReached = false;
        if (_block is not null)
        {
            _block.Held.AsSpan(_contiguous, Math.Max(0, _heldEnd - _contiguous)).Clear();
            buffers.Return(_block);
            _block = null;
        }

        _contiguous = 0;
        _heldEnd = 0;
        _inOrder = 0;
    }

    /// <summary>The next byte expected is <paramref name="nextSequence"/> (from the SYN, or the first data seen).</summary>
    public void Start(uint nextSequence)
    {
        if (Started)
        {
            return;
        }

        Started = true;
        _base = nextSequence;
    }

    public ReadOnlySpan<byte> Slice(int start, int end) => _block!.Data.AsSpan(start, end - start);

    public SegmentResult Add(uint sequence, ReadOnlySpan<byte> data)
    {
        Start(sequence);
        if (DepthReached)
        {
            return new SegmentResult(SegmentOutcome.DepthReached, 0, 0, 0, 0, false, false);
        }

        if ((_block ??= buffers.Rent()) is not { } block)
        {
            return new SegmentResult(SegmentOutcome.NoMemory, 0, 0, 0, 0, false, false);
        }

        var buffer = block.Data;
        var held = block.Held;

        long offset = unchecked((int)(sequence - _base));
        if (data.Length == 1 && offset == _contiguous - 1)
        {
            return new SegmentResult(SegmentOutcome.KeepAlive, 0, 0, 0, 0, false, false);
        }

        if (offset + data.Length <= 0)
        {
            return new SegmentResult(SegmentOutcome.BeforeWindow, 0, 0, 0, 0, false, false);
        }

        if (offset <= _contiguous && offset + data.Length > buffer.Length)
        {
            // An in-order segment longer than the room ahead: let older contiguous bytes go first.
            int made = ShiftBy((int)Math.Min(_contiguous, offset + data.Length - buffer.Length));
            offset -= made;
        }

        if (offset >= buffer.Length)
        {
            return new SegmentResult(SegmentOutcome.BeyondBuffer, 0, 0, 0, 0, false, true);
        }

        int s = (int)Math.Max(offset, 0);
        int e = (int)Math.Min(offset + data.Length, buffer.Length);
        bool truncated = offset + data.Length > buffer.Length;
        bool different = Place(buffer, held, s, e, data.Slice((int)(s - offset), e - s));
        _heldEnd = Math.Max(_heldEnd, e);

        int before = _contiguous;
        if (e > _contiguous && s <= _contiguous)
        {
            int gap = held.AsSpan(_contiguous).IndexOf((byte)0);
            int end = gap < 0 ? held.Length : _contiguous + gap;
            held.AsSpan(_contiguous, end - _contiguous).Clear();
            _contiguous = end;
        }

        _inOrder += _contiguous - before;
        int windowStart, windowEnd;
        if (e <= _contiguous)
        {
            windowEnd = _contiguous;
            windowStart = Math.Max(0, windowEnd - window);
        }
        else
        {
            // The out-of-order run around the segment.
            int after = held.AsSpan(e).IndexOf((byte)0);
            windowEnd = after < 0 ? held.Length : e + after;
            int runStart = held.AsSpan(_contiguous, s - _contiguous).LastIndexOf((byte)0) + 1 + _contiguous;
            windowStart = Math.Max(runStart, windowEnd - window);
        }

        int shift = Slide();
        if (_inOrder > depth)
        {
            DepthReached = true;
        }

        return new SegmentResult(SegmentOutcome.Reassembled, windowStart - shift, windowEnd - shift, Math.Max(0, s - shift), e - shift, different, truncated);
    }

    /// <summary>Writes the bytes not yet held and compares the ones that are; true when any held byte differs.</summary>
    private bool Place(byte[] buffer, byte[] held, int start, int end, ReadOnlySpan<byte> bytes)
    {
        bool different = false;
        int p = start;
        if (p < _contiguous)
        {
            int q = Math.Min(end, _contiguous);
            different |= !buffer.AsSpan(p, q - p).SequenceEqual(bytes.Slice(p - start, q - p));
            p = q;
        }

        while (p < end)
        {
            var rest = held.AsSpan(p, end - p);
            if (rest[0] != 0)
            {
                int run = rest.IndexOf((byte)0);
                int q = run < 0 ? end : p + run;
                different |= !buffer.AsSpan(p, q - p).SequenceEqual(bytes.Slice(p - start, q - p));
                p = q;
            }
            else
            {
                int run = rest.IndexOfAnyExcept((byte)0);
                int q = run < 0 ? end : p + run;
                bytes.Slice(p - start, q - p).CopyTo(buffer.AsSpan(p));
                held.AsSpan(p, q - p).Fill(1);
                p = q;
            }
        }

        return different;
    }

    /// <summary>Keeps at most one window of contiguous data at the buffer's start, making room ahead; returns the bytes dropped.</summary>
    private int Slide() => ShiftBy(_contiguous - window);

    /// <summary>Drops the oldest <paramref name="shift"/> contiguous bytes (none when not positive); returns the bytes dropped.</summary>
    private int ShiftBy(int shift)
    {
        if (shift <= 0)
        {
            return 0;
        }

        var buffer = _block!.Data;
        var held = _block.Held;
        buffer.AsSpan(shift).CopyTo(buffer);
        held.AsSpan(shift).CopyTo(held);
        held.AsSpan(held.Length - shift).Clear();
        _base = unchecked(_base + (uint)shift);
        _contiguous -= shift;
        _heldEnd = Math.Max(0, _heldEnd - shift);
        return shift;
    }
}
