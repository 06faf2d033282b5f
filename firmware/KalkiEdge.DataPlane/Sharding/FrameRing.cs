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
    private long _published;
    private long _processed;
    private long _released;

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
    public bool HasRoom => Volatile.Read(ref _published) - Volatile.Read(ref _released) < _slots.Length;

    /// <summary>Engine thread: a published slot waits to be processed.</summary>
    public bool HasWork => Volatile.Read(ref _processed) < Volatile.Read(ref _published);

    /// <summary>Merger: the oldest unreleased slot has been processed.</summary>
    public bool HeadProcessed => Volatile.Read(ref _released) < Volatile.Read(ref _processed);

    /// <summary>Reader: puts <paramref name="frame"/> into the next free slot (handing back that slot's frame for the next read) and publishes it.</summary>
    public void Publish(ref Frame frame, long sequence)
    {
        if (!HasRoom)
        {
            throw new InvalidOperationException("frame ring full: wait for HasRoom");
        }

        var slot = _slots[(int)(_published & _mask)];
        (slot.Frame, frame) = (frame, slot.Frame);
        slot.Sequence = sequence;
        Volatile.Write(ref _published, _published + 1);
    }

    /// <summary>Engine thread: the next slot to process (only while <see cref="HasWork"/>).</summary>
    public FrameSlot NextToProcess => _slots[(int)(_processed & _mask)];

    /// <summary>Engine thread: the slot from <see cref="NextToProcess"/> is done; its verdict and reply are final.</summary>
    public void MarkProcessed() => Volatile.Write(ref _processed, _processed + 1);

    /// <summary>Merger: the oldest processed slot (only while <see cref="HeadProcessed"/>).</summary>
    public FrameSlot Head => _slots[(int)(_released & _mask)];

    /// <summary>Merger: the head slot is merged; the reader may reuse it.</summary>
    public void Release() => Volatile.Write(ref _released, _released + 1);
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
