using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// A flow's identity from the device's side: the same key for a request and its reply, whichever way the
/// packet travels. ICMP flows have ports 0 (the ICMP id is not decoded), so they are per remote host.
/// </summary>
public readonly record struct FlowKey(UInt128 LocalIp, UInt128 RemoteIp, ushort LocalPort, ushort RemotePort, byte Protocol)
{
    /// <summary>Builds the key of a decoded TCP, UDP or ICMP packet; false for anything else (ARP, later fragments, ...).</summary>
    public static bool TryCreate(Frame frame, out FlowKey key)
    {
        if (frame.L4Offset == 0 || !(frame.IsTcp || frame.IsUdp || frame.IsIcmp))
        {
            key = default;
            return false;
        }

        key = new FlowKey(frame.LocalIp(), frame.RemoteIp(), frame.LocalPort(), frame.RemotePort(), frame.IpProtocol);
        return true;
    }

    public bool Equals(FlowKey other) =>
        LocalIp == other.LocalIp && RemoteIp == other.RemoteIp && LocalPort == other.LocalPort
        && RemotePort == other.RemotePort && Protocol == other.Protocol;

    // Keyed per process, so remote parties cannot precompute colliding keys; five multiply-xorshift rounds over the
    // key's words cost a fraction of HashCode.Combine over two 128-bit addresses, and every tracked frame pays it.
    private static readonly ulong HashKey = (ulong)Random.Shared.NextInt64() | 1;

    public override int GetHashCode()
    {
        ulong h = Hash64();
        return (int)(h ^ (h >> 32));
    }

    /// <summary>The keyed hash at full width (<see cref="KnownFlows"/> keeps it as the flow's fingerprint).</summary>
    public ulong Hash64()
    {
        ulong h = Mix(HashKey ^ (ulong)LocalIp);
        h = Mix(h ^ (ulong)(LocalIp >> 64));
        h = Mix(h ^ (ulong)RemoteIp);
        h = Mix(h ^ (ulong)(RemoteIp >> 64));
        return Mix(h ^ ((ulong)LocalPort << 24) ^ ((ulong)RemotePort << 8) ^ Protocol);
    }

    private static ulong Mix(ulong x)
    {
        x *= 0x9E3779B97F4A7C15UL;
        return x ^ (x >> 29);
    }
}

/// <summary>What the tracker knows about one flow.</summary>
/// <remarks>The long first: with the two bytes after it the state takes 16 bytes, not 24 (a table slot per flow, at
/// least one table per device).</remarks>
public struct FlowState
{
    public long LastSeenMicros;

    /// <summary>Direction of the packet that opened the flow (out = the device initiated it).</summary>
    public Direction Initiator;

    /// <summary>FIN seen from the device (bit 0) and from the remote side (bit 1).</summary>
    public byte Fins;

    public readonly bool IsClosing => Fins == 3;
}

/// <summary>
/// Established-flow tracking with a bounded table (oldest flows evicted when full, evictions counted) and an
/// idle timeout in frame time. TCP RST ends a flow at once; FIN from both sides ends it after a short linger
/// so the last ACK still passes. The stateful firewall asks "is this packet part of a flow the policy already
/// accepted, and who started it?"; egress-guard asks "did the device open this flow?" (<see cref="Track"/>).
/// </summary>
public sealed class FlowTracker(int capacity, long idleTimeoutMicros)
{
    /// <summary>How long a flow closed by FIN in both directions still accepts packets (its final ACKs).</summary>
    public const long CloseLingerMicros = 2_000_000;

    // Idle flows purged per new flow: amortised O(1), and the table rarely fills with dead entries.
    private const int ExpiryBatch = 2;

    private readonly BoundedTable<FlowKey, FlowState> _flows = new(capacity);
    private long _staleOnLookup;

    public long IdleTimeoutMicros { get; } = idleTimeoutMicros;

    public int Capacity => _flows.Capacity;

    public int Count => _flows.Count;

    /// <summary>Flows pushed out by newer ones because the table was full.</summary>
    public long Evictions => _flows.Evictions;

    /// <summary>Flows that ended by idle timeout (found stale or purged).</summary>
    public long Expirations => _flows.Expirations + _staleOnLookup;

    /// <summary>Flows ended by RST or FIN/FIN.</summary>
    public long Closed { get; private set; }

    public long Opened { get; private set; }

    /// <summary>
    /// If the packet belongs to a live flow, refreshes it (and applies TCP teardown) and returns true with the
    /// direction that opened the flow; a stale flow found here is removed and counts as expired.
    /// </summary>
    public bool TryContinue(Frame frame, in FlowKey key, out Direction initiator)
    {
        long now = frame.TimestampMicros;
        ref var flow = ref _flows.Find(key, now, out bool found);
        if (!found)
        {
            initiator = default;
            return false;
        }

        bool closing = flow.IsClosing;
        long limit = closing ? Math.Min(CloseLingerMicros, IdleTimeoutMicros) : IdleTimeoutMicros;
        if (now - flow.LastSeenMicros >= limit)
        {
            // Removal clears the slot `flow` refers to: decide from the copy taken above.
            _flows.Remove(key);
            if (closing)
            {
                Closed++;
            }
            else
            {
                _staleOnLookup++;
            }

            initiator = default;
            return false;
        }

        initiator = flow.Initiator;
        if (!flow.IsClosing)
        {
            flow.LastSeenMicros = now;
        }

        ApplyTeardown(frame, key, ref flow);
        return true;
    }

    /// <summary>
    /// Starts tracking the flow of a packet the policy accepted. A RST or FIN packet opens nothing: it ends a
    /// conversation rather than starting one.
    /// </summary>
    public void Open(Frame frame, in FlowKey key)
    {
        if (frame.IsTcp && (frame.TcpFlags & (TcpFlags.Rst | TcpFlags.Fin)) != 0)
        {
            return;
        }

        long now = frame.TimestampMicros;
        _flows.ExpireIdle(now, IdleTimeoutMicros, ExpiryBatch);
        ref var flow = ref _flows.GetOrAdd(key, now, out bool added);
        if (added)
        {
            Opened++;
            flow.Initiator = frame.Direction;
        }

        flow.LastSeenMicros = now;
    }

    public bool IsTracked(in FlowKey key) => _flows.Contains(key);

    /// <summary>
    /// Follows every packet of a direction-agnostic observer: continues the packet's flow, or opens one with this
    /// packet as its first (<paramref name="opened"/> true; RST and FIN open nothing and report the packet's own
    /// direction). Returns the direction that opened the flow.
    /// </summary>
    public Direction Track(Frame frame, in FlowKey key, out bool opened)
    {
        if (TryContinue(frame, key, out var initiator))
        {
            opened = false;
            return initiator;
        }

        Open(frame, key);
        opened = true;
        return frame.Direction;
    }

    private void ApplyTeardown(Frame frame, in FlowKey key, ref FlowState flow)
    {
        if (!frame.IsTcp)
        {
            return;
        }

        if ((frame.TcpFlags & TcpFlags.Rst) != 0)
        {
            _flows.Remove(key);
            Closed++;
            return;
        }

        if ((frame.TcpFlags & TcpFlags.Fin) != 0)
        {
            bool wasClosing = flow.IsClosing;
            flow.Fins |= frame.Direction == Direction.FromDevice ? (byte)1 : (byte)2;
            if (flow.IsClosing && !wasClosing)
            {
                // The linger runs from the second FIN.
                flow.LastSeenMicros = frame.TimestampMicros;
            }
        }
    }
}
