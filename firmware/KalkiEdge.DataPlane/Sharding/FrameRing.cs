using System.Runtime.InteropServices;

namespace KalkiEdge.DataPlane.Sharding;

/// <summary>
/// The bounded hand-off between the reader and one engine thread, and back to the merger: a fixed ring of frame slots
/// allocated once. The reader publishes a slot (it swaps its freshly read frame into it, so nothing is copied), the
/// engine thread processes slots in order, and the merger releases them in order for reuse. When the ring is full the
/// reader waits (backpressure): no frame is dropped, and memory is the ring's whatever the capture's size.
/// One thread publishes and releases, one processes; cursors only grow, so each is written by one thread.
/// </summary>
public sealed class FrameRing
{
    private readonly FrameSlot[] _slots;
    private readonly int _mask;
    private Cursors _cursors;

    public FrameRing(int capacity)
    {
        if (capacity < 1 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a power of two");
        }

        _slots = new FrameSlot[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _slots[i] = new FrameSlot();
        }

        _mask = capacity - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>Reader: a slot is free to publish into.</summary>
    public bool HasRoom => Volatile.Read(ref _cursors.Published) - Volatile.Read(ref _cursors.Released) < _slots.Length;

    /// <summary>Engine thread: a published slot waits to be processed.</summary>
    public bool HasWork => Volatile.Read(ref _cursors.Processed) < Volatile.Read(ref _cursors.Published);

    /// <summary>Reader: slots published and not yet processed.</summary>
    public long Waiting => Volatile.Read(ref _cursors.Published) - Volatile.Read(ref _cursors.Processed);

    /// <summary>Merger: the oldest unreleased slot has been processed.</summary>
    public bool HeadProcessed => Volatile.Read(ref _cursors.Released) < Volatile.Read(ref _cursors.Processed);

    /// <summary>Reader: puts <paramref name="frame"/> into the next free slot (handing back that slot's frame for the next read) and publishes it.</summary>
    public void Publish(ref Frame frame, long sequence)
    {
        if (!HasRoom)
        {
            throw new InvalidOperationException("frame ring full: wait for HasRoom");
        }

        var slot = _slots[(int)(_cursors.Published & _mask)];
        (slot.Frame, frame) = (frame, slot.Frame);
        slot.Sequence = sequence;
        Volatile.Write(ref _cursors.Published, _cursors.Published + 1);
    }

    /// <summary>Engine thread: the next slot to process (only while <see cref="HasWork"/>).</summary>
    public FrameSlot NextToProcess => _slots[(int)(_cursors.Processed & _mask)];

    /// <summary>Engine thread: the slot from <see cref="NextToProcess"/> is done; its verdict and reply are final.</summary>
    public void MarkProcessed() => Volatile.Write(ref _cursors.Processed, _cursors.Processed + 1);

    /// <summary>Merger: the oldest processed slot (only while <see cref="HeadProcessed"/>).</summary>
    public FrameSlot Head => _slots[(int)(_cursors.Released & _mask)];

    /// <summary>Merger: the head slot is merged; the reader may reuse it.</summary>
    public void Release() => Volatile.Write(ref _cursors.Released, _cursors.Released + 1);

    /// <summary>
    /// The ring's three cursors, each on its own cache line: the reader and the engine thread write different ones for
    /// every frame, and sharing a line would make each write evict the other core's copy.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 4 * CacheLine)]
    private struct Cursors
    {
        private const int CacheLine = 64;

        [FieldOffset(CacheLine)]
        public long Published;

        [FieldOffset(2 * CacheLine)]
        public long Processed;

        [FieldOffset(3 * CacheLine)]
        public long Released;
    }
}

/// <summary>One frame in flight: the frame, its place in the capture's order and what its engine thread decided.</summary>
public sealed class FrameSlot
{
    public Frame Frame { get; internal set; } = new();

    /// <summary>The frame's index in the order the reader read frames (0, 1, 2 …).</summary>
    public long Sequence { get; internal set; }

    public Verdict Verdict { get; set; }

    /// <summary>The chain's reply when <see cref="Verdict"/> is a reply (copied out of the engine thread's context).</summary>
    public Frame Reply => _reply ??= new Frame(2048);

    /// <summary>
    /// <see cref="Reply"/> when the verdict is a reply, else null: the merger asks through this, so a slot whose frames
    /// were never answered never allocates a reply buffer (2 KB for each of the ring's slots otherwise).
    /// </summary>
    public Frame? ReplyIfAny => Verdict == Verdict.Reply ? Reply : null;

    private Frame? _reply;
}
