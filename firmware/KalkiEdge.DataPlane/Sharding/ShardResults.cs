using System.Runtime.InteropServices;

namespace KalkiEdge.DataPlane.Sharding;

/// <summary>
/// What one walking engine thread (<see cref="WalkingShardedEngine"/>) decided for its own frames, in their order, for
/// the merging thread: a byte per frame (64 to a cache line, so the merger takes one line from the engine thread's core
/// per 64 of its frames), and the rare reply or malformation in a small ring of its own, taken in the same order. The
/// engine thread writes results and publishes how many it has written a batch at a time; the merger reads them in order.
/// The verdicts' capacity must cover the engine thread's frames within <see cref="WalkingShardedEngine.Window"/>, which
/// bounds how far it runs ahead; a full ring of extras makes it wait for the merger (<see cref="HasRoomForExtra"/>).
/// </summary>
internal sealed class ShardResults
{
    /// <summary>Replies and malformations in flight per engine thread: each reply holds a 2 KB frame.</summary>
    public const int ExtrasCapacity = 256;

    private const byte HasExtra = 0x80;

    private readonly byte[] _verdicts;
    private readonly string?[] _malformations = new string?[ExtrasCapacity];
    private readonly Frame?[] _replies = new Frame?[ExtrasCapacity];
    private readonly int _mask;
    private Cursors _cursors;

    public ShardResults(int capacity)
    {
        if (capacity < 1 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a power of two");
        }

        _verdicts = new byte[capacity];
        _mask = capacity - 1;
    }

    /// <summary>Engine thread: results written so far (published or not).</summary>
    public long Written => _cursors.Written;

    /// <summary>Merger: results published so far; each one before this count may be read.</summary>
    public long Published => Volatile.Read(ref _cursors.Published);

    /// <summary>Merger: the engine thread has stopped; <see cref="Published"/> is final.</summary>
    public bool Ended => Volatile.Read(ref _cursors.Ended) != 0;

    /// <summary>Engine thread: a reply or malformation can be written without overwriting one the merger has not taken.</summary>
    public bool HasRoomForExtra => _cursors.ExtrasWritten - Volatile.Read(ref _cursors.ExtrasTaken) < ExtrasCapacity;

    /// <summary>
    /// Engine thread: the result of its next frame (a reply is copied out of the thread's context). A reply or
    /// malformation needs <see cref="HasRoomForExtra"/>.
    /// </summary>
    public void Put(Verdict verdict, Frame? reply, string? malformation)
    {
        bool extra = reply is not null || malformation is not null;
        _verdicts[(int)(_cursors.Written & _mask)] = (byte)((byte)verdict | (extra ? HasExtra : 0));
        if (extra)
        {
            if (!HasRoomForExtra)
            {
                throw new InvalidOperationException("extras ring full: wait for HasRoomForExtra");
            }

            int e = (int)(_cursors.ExtrasWritten++ % ExtrasCapacity);
            _malformations[e] = malformation;
            if (reply is not null)
            {
                (_replies[e] ??= new Frame(2048)).CopyFrom(reply);
            }
        }

        _cursors.Written++;
    }

    /// <summary>Engine thread: makes every written result readable by the merger.</summary>
    public void Publish() => Volatile.Write(ref _cursors.Published, _cursors.Written);

    /// <summary>Engine thread, last: no more results will come.</summary>
    public void End()
    {
        Publish();
        Volatile.Write(ref _cursors.Ended, 1);
    }

    /// <summary>
    /// Merger: the result at <paramref name="index"/> (below <see cref="Published"/>; in order). The reply is valid
    /// until the merger reads the engine thread's next reply or malformation.
    /// </summary>
    public Verdict Read(long index, out Frame? reply, out string? malformation)
    {
        var stored = _verdicts[(int)(index & _mask)];
        var verdict = (Verdict)(stored & ~HasExtra);
        (reply, malformation) = (null, null);
        if ((stored & HasExtra) != 0)
        {
            // The previous extra is merged by now: its slot may be reused.
            int e = (int)(_cursors.ExtrasRead++ % ExtrasCapacity);
            Volatile.Write(ref _cursors.ExtrasTaken, _cursors.ExtrasRead - 1);
            malformation = _malformations[e];
            reply = verdict == Verdict.Reply ? _replies[e] : null;
        }

        return verdict;
    }

    /// <summary>
    /// The engine thread's cursors and the merger's on separate cache lines: the merger polls <see cref="Published"/>
    /// while the engine thread counts <see cref="Written"/>, and the engine thread reads how many extras were taken.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 5 * CacheLine)]
    private struct Cursors
    {
        private const int CacheLine = 64;

        [FieldOffset(CacheLine)]
        public long Written;

        [FieldOffset(CacheLine + 8)]
        public long ExtrasWritten;

        [FieldOffset(2 * CacheLine)]
        public long Published;

        [FieldOffset((2 * CacheLine) + 8)]
        public int Ended;

        [FieldOffset(3 * CacheLine)]
        public long ExtrasRead;

        [FieldOffset((3 * CacheLine) + 8)]
        public long ExtrasTaken;
    }
}
