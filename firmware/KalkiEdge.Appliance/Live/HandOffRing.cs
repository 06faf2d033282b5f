using System.Runtime.InteropServices;
using KalkiEdge.Assurance.Signing;

namespace KalkiEdge.Appliance.Live;

/// <summary>
/// The bounded hand-off from a capture thread to its signing thread: a fixed ring of slots allocated once, each with
/// its own frame buffer. The capture thread fills slots and publishes them, a few at a time; the signing thread takes
/// them in order and frees them, a few at a time, once their frames have left. When the ring is full the capture
/// thread waits (backpressure): nothing is dropped or skipped, and memory is the ring's whatever the load.
/// One thread fills and publishes, one takes and frees. Each thread keeps the other's cursor as last seen and reads
/// it again only when that view says the ring is full (or empty), so the shared cursors cross between the cores once
/// per few frames, not on every frame.
/// </summary>
internal sealed class HandOffRing
{
    private readonly HeldFrame[] _slots;
    private readonly int _mask;
    private Cursors _at;

    public HandOffRing(int capacity)
    {
        if (capacity < 1 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the hand-off ring's capacity must be a power of two");
        }

        _slots = new HeldFrame[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _slots[i] = new HeldFrame();
        }

        _mask = capacity - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>Capture thread: a slot is free to fill.</summary>
    public bool HasRoom => _at.Filled - _at.FreedSeen < _slots.Length || _at.Filled - (_at.FreedSeen = Volatile.Read(ref _at.Freed)) < _slots.Length;

    /// <summary>Capture thread: slots filled and not yet published.</summary>
    public int Unpublished => (int)(_at.Filled - _at.Published);

    /// <summary>Capture thread: how many slots it has filled, ever (the signing thread has freed at most this many).</summary>
    public long Filled => _at.Filled;

    /// <summary>Signing thread: how many slots it has taken, ever.</summary>
    public long Taken => _at.Taken;

    /// <summary>Capture thread: the slot to fill (only while <see cref="HasRoom"/>), then <see cref="Fill"/>.</summary>
    public HeldFrame NextFree => _slots[(int)(_at.Filled & _mask)];

    /// <summary>Capture thread: the slot from <see cref="NextFree"/> is filled (the signing thread sees it once published).</summary>
    public void Fill() => _at.Filled++;

    /// <summary>Capture thread: every filled slot may be taken.</summary>
    public void Publish() => Volatile.Write(ref _at.Published, _at.Filled);

    /// <summary>Signing thread: a published slot waits.</summary>
    public bool HasWork => _at.Taken < _at.PublishedSeen || _at.Taken < (_at.PublishedSeen = Volatile.Read(ref _at.Published));

    /// <summary>Signing thread: the oldest published slot not taken (only while <see cref="HasWork"/>), then <see cref="Take"/>.</summary>
    public HeldFrame Next => _slots[(int)(_at.Taken & _mask)];

    /// <summary>Signing thread: done with the slot from <see cref="Next"/>.</summary>
    public void Take() => _at.Taken++;

    /// <summary>Signing thread: every taken slot may be filled again.</summary>
    public void Free() => Volatile.Write(ref _at.Freed, _at.Taken);

    /// <summary>The cursors, each thread's on cache lines of their own (no false sharing between the two cores).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 320)]
    private struct Cursors
    {
        // Capture thread's.
        [FieldOffset(64)] public long Filled;
        [FieldOffset(72)] public long FreedSeen;

        // Written by the capture thread, read by the signing thread.
        [FieldOffset(128)] public long Published;

        // Signing thread's.
        [FieldOffset(192)] public long Taken;
        [FieldOffset(200)] public long PublishedSeen;

        // Written by the signing thread, read by the capture thread.
        [FieldOffset(256)] public long Freed;
    }
}
