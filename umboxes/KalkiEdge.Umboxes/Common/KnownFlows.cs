using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// The flows an observer has seen packets of, in either direction, for the one question port-scan asks: does
/// this packet start a flow, or continue one? The flow life is <see cref="FlowTracker"/>'s (idle timeout in frame
/// time; TCP RST ends a flow at once, FIN from both sides after <see cref="FlowTracker.CloseLingerMicros"/>; RST
/// and FIN open nothing), without its initiator, which the question does not need.
/// <para>
/// Kept compact because every device's chain asks it for most frames, and at a thousand devices each
/// device's state is cold in the cache: an entry is 16 bytes (the flow key's 62-bit keyed fingerprint with the
/// FIN bits, and the last-seen time), and a flow can live only in the four entries of its set (64 bytes), so
/// a lookup reads one set of one array held inline by the owner. Two distinct live flows of one device would
/// have to share a set and 62 bits of a per-process keyed hash to be taken for one another.
/// </para>
/// <para>
/// Bounded: at most <c>capacity</c> flows (sets of four, their count doubling on demand from one up to
/// <c>capacity / 4</c>; a capacity under four is one set of that many ways). When a flow's set holds no free or
/// idle entry and the table cannot grow, the set's least recently seen flow is evicted (and counted), so a
/// flood of spoofed flows displaces state but never grows memory. Storage is allocated only while growing;
/// lookups allocate nothing. A mutable struct: keep it in a field and call it in place, never copy it. Not
/// thread-safe (one per element instance).
/// </para>
/// </summary>
public struct KnownFlows
{
    private const int SetWays = 4;
    private const ulong FinBits = 3;
    private const ulong FromDeviceFin = 1;
    private const ulong FromRemoteFin = 2;

    private readonly int _ways;
    private readonly int _maxSets;
    private Entry[] _entries;
    private int _sets;

    public KnownFlows(int capacity, long idleTimeoutMicros)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ways = Math.Min(SetWays, capacity);
        _maxSets = capacity / _ways;
        _entries = [];
        IdleTimeoutMicros = idleTimeoutMicros;
    }

    public readonly long IdleTimeoutMicros { get; }

    /// <summary>The most flows held at once.</summary>
    public readonly int Capacity => _maxSets * _ways;

    /// <summary>Entries in use (flows idle past the timeout count until their entry is reused).</summary>
    public int Count { readonly get; private set; }

    /// <summary>Flows pushed out by newer ones because their set was full.</summary>
    public long Evictions { readonly get; private set; }

    /// <summary>Flows that ended by idle timeout (found idle, or their entry reused).</summary>
    public long Expirations { readonly get; private set; }

    /// <summary>Flows ended by RST or FIN/FIN.</summary>
    public long Closed { readonly get; private set; }

    public long Opened { readonly get; private set; }

    /// <summary>
    /// Follows one packet of <paramref name="key"/>'s flow: true when the packet starts the flow (no live flow
    /// had the key; the flow is remembered from now on unless the packet is a TCP RST or FIN), false when it
    /// continues one (refreshed, and TCP teardown applied).
    /// </summary>
    public bool Starts(Frame frame, in FlowKey key)
    {
        long now = frame.TimestampMicros;
        ulong fingerprint = Fingerprint(key);
        if (_entries.Length != 0)
        {
            var set = Set(fingerprint);
            for (int i = 0; i < set.Length; i++)
            {
                ref var entry = ref set[i];
                if ((entry.Tag & ~FinBits) != fingerprint)
                {
                    continue;
                }

                if (Ended(entry, now))
                {
                    Release(ref entry);
                    break;
                }

                Continue(frame, ref entry, now);
                return false;
            }
        }

        if (!frame.IsTcp || (frame.TcpFlags & (TcpFlags.Rst | TcpFlags.Fin)) == 0)
        {
            Open(fingerprint, now);
        }

        return true;
    }

    private void Continue(Frame frame, ref Entry entry, long now)
    {
        bool closing = IsClosing(entry);
        if (!closing)
        {
            entry.LastSeenMicros = now;
        }

        if (!frame.IsTcp)
        {
            return;
        }

        if ((frame.TcpFlags & TcpFlags.Rst) != 0)
        {
            entry = default;
            Count--;
            Closed++;
            return;
        }

        if ((frame.TcpFlags & TcpFlags.Fin) != 0)
        {
            entry.Tag |= frame.Direction == Direction.FromDevice ? FromDeviceFin : FromRemoteFin;
            if (!closing && IsClosing(entry))
            {
                // The linger runs from the second FIN.
                entry.LastSeenMicros = now;
            }
        }
    }

    private void Open(ulong fingerprint, long now)
    {
        Opened++;
        if (_entries.Length == 0)
        {
            Grow(now);
        }

        while (true)
        {
            var set = Set(fingerprint);
            int free = -1;
            int oldest = 0;
            for (int i = 0; i < set.Length; i++)
            {
                ref var entry = ref set[i];
                if (entry.Tag == 0 || Ended(entry, now))
                {
                    free = i;
                    break;
                }

                if (entry.LastSeenMicros < set[oldest].LastSeenMicros)
                {
                    oldest = i;
                }
            }

            if (free < 0 && _sets < _maxSets)
            {
                Grow(now);
                continue;
            }

            if (free < 0)
            {
                free = oldest;
                Evictions++;
                Count--;
            }
            else if (set[free].Tag != 0)
            {
                Release(ref set[free]);
            }

            set[free] = new Entry { Tag = fingerprint, LastSeenMicros = now };
            Count++;
            return;
        }
    }

    /// <summary>Allocates the first set, or doubles the sets and re-places the live flows (ended ones are counted and dropped).</summary>
    private void Grow(long now)
    {
        var old = _entries;
        _sets = Math.Min(_maxSets, Math.Max(1, _sets * 2));
        _entries = new Entry[_sets * SetWays];
        foreach (var entry in old)
        {
            if (entry.Tag == 0)
            {
                continue;
            }

            var copy = entry;
            if (Ended(copy, now))
            {
                Release(ref copy);
                continue;
            }

            if (!TryPlace(copy))
            {
                // Its new set was already full of flows re-placed before it: it is lost, and counted.
                Evictions++;
                Count--;
            }
        }
    }

    private readonly bool TryPlace(in Entry entry)
    {
        var set = Set(entry.Tag & ~FinBits);
        for (int i = 0; i < set.Length; i++)
        {
            if (set[i].Tag == 0)
            {
                set[i] = entry;
                return true;
            }
        }

        return false;
    }

    /// <summary>Frees the entry of a flow found ended (idle past its timeout, or past the linger of FIN/FIN).</summary>
    private void Release(ref Entry entry)
    {
        if (IsClosing(entry))
        {
            Closed++;
        }
        else
        {
            Expirations++;
        }

        entry = default;
        Count--;
    }

    // The set from the fingerprint's high half, spread over any number of sets by a multiply (no power of two needed).
    private readonly Span<Entry> Set(ulong fingerprint)
    {
        int set = (int)(((fingerprint >> 32) * (ulong)(uint)_sets) >> 32);
        return _entries.AsSpan(set * SetWays, _ways);
    }

    private readonly bool Ended(in Entry entry, long now)
    {
        long limit = IsClosing(entry) ? Math.Min(FlowTracker.CloseLingerMicros, IdleTimeoutMicros) : IdleTimeoutMicros;
        return now - entry.LastSeenMicros >= limit;
    }

    private static bool IsClosing(in Entry entry) => (entry.Tag & FinBits) == FinBits;

    // The key's keyed 64-bit hash without the FIN bits; never 0, which marks a free entry.
    private static ulong Fingerprint(in FlowKey key)
    {
        ulong fingerprint = key.Hash64() & ~FinBits;
        return fingerprint == 0 ? FinBits + 1 : fingerprint;
    }

    private struct Entry
    {
        // Fingerprint (bits 2..63) and FIN seen from the device (bit 0) and from the remote side (bit 1); 0: free.
        public ulong Tag;
        public long LastSeenMicros;
    }
}
