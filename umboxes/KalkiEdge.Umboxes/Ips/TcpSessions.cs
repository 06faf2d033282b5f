namespace KalkiEdge.Umboxes.Ips;

/// <summary>Sizes of the per-flow reassembly buffers and the bound on all of them (the <c>stream-*</c> arguments of <c>ips</c>).</summary>
/// <param name="Memory">Bytes of reassembly buffers an element may hold at once, counting the held-byte map beside the data.</param>
public sealed record StreamLimits(int Window, int OutOfOrder, long Depth, long Memory)
{
    /// <summary>Stream directions that fit in <see cref="Memory"/> at once (at least one).</summary>
    public int MaxBuffers => (int)Math.Clamp(Memory / (2L * (Window + OutOfOrder)), 1, int.MaxValue);
}

/// <summary>
/// The two reassembled directions of one tracked TCP session, and its turns: a turn of a direction begins when
/// it sends data after the other direction did (a request, then its response, then the next request). A stream
/// rule alerts at most once per turn of a direction, because each segment is inspected with the data before it
/// and would otherwise repeat the same match on every later segment of the request (Suricata does repeat it).
/// </summary>
public sealed class TcpSession(StreamLimits limits, StreamBuffers buffers)
{
    private const int AlertedCapacity = 16;

    private readonly int[] _alertedToServer = new int[AlertedCapacity];
    private readonly int[] _alertedToClient = new int[AlertedCapacity];
    private int _alertedToServerCount;
    private int _alertedToClientCount;
    private sbyte _lastData; // 0: none yet, 1: to server, -1: to client
    private bool _finToServer;
    private bool _finToClient;

    public TcpStreamDirection ToServer { get; } = new(limits.Window, limits.Depth, buffers);

    public TcpStreamDirection ToClient { get; } = new(limits.Window, limits.Depth, buffers);

    public TcpStreamDirection Direction(bool toServer) => toServer ? ToServer : ToClient;

    /// <summary>Forgets the session and gives its buffers back: its flow entry was let go of, and it waits in the pool for another flow.</summary>
    public void Reset()
    {
        ToServer.Reset();
        ToClient.Reset();
        _alertedToServerCount = 0;
        _alertedToClientCount = 0;
        _lastData = 0;
        _finToServer = false;
        _finToClient = false;
    }

    /// <summary>
    /// A FIN in this direction (call after the segment was inspected). Once both directions have sent theirs the
    /// session is over and its buffers go back to the element's pool. A RST does not release them: a forged reset
    /// must not make the engine forget a stream the device still accepts.
    /// </summary>
    public void Finished(bool toServer)
    {
        _finToServer |= toServer;
        _finToClient |= !toServer;
        if (_finToServer && _finToClient)
        {
            ToServer.Reset();
            ToClient.Reset();
        }
    }

    /// <summary>A data segment in this direction: starts a new turn when the other direction sent data last.</summary>
    public void DataSeen(bool toServer)
    {
        sbyte direction = toServer ? (sbyte)1 : (sbyte)-1;
        if (_lastData != direction)
        {
            if (toServer)
            {
                _alertedToServerCount = 0;
            }
            else
            {
                _alertedToClientCount = 0;
            }

            _lastData = direction;
        }
    }

    /// <summary>True the first time rule <paramref name="rule"/> alerts in this turn (and records it); false for repeats.</summary>
    public bool FirstInTurn(bool toServer, int rule)
    {
        var alerted = toServer ? _alertedToServer : _alertedToClient;
        ref int count = ref toServer ? ref _alertedToServerCount : ref _alertedToClientCount;
        if (alerted.AsSpan(0, count).Contains(rule))
        {
            return false;
        }

        // Beyond the capacity a rule may alert again in the same turn: more alerts, never fewer.
        if (count < AlertedCapacity)
        {
            alerted[count++] = rule;
        }

        return true;
    }
}

/// <summary>
/// The reassembly state of one <see cref="FlowTable"/>'s TCP sessions: a session is held by its flow's entry (so it
/// moves with the entry when the table grows) and comes back here when the table lets the entry go, for the next
/// flow. Every session is in an entry or here, so there are never more than the table's capacity, and a steady stream
/// of new connections allocates nothing once enough exist.
/// </summary>
public sealed class TcpSessions(StreamLimits limits)
{
    private readonly Stack<TcpSession> _free = new();
    private readonly StreamBuffers _buffers = new(limits.Window + limits.OutOfOrder, limits.MaxBuffers);

    /// <summary>Times a stream direction found <c>stream-memory</c> all in use.</summary>
    public long MemoryExhausted => _buffers.Exhausted;

    /// <summary>A session with nothing seen yet.</summary>
    public TcpSession Take() => _free.TryPop(out var session) ? session : new TcpSession(limits, _buffers);

    /// <summary>Takes back the session of a flow the table let go of (its buffers go back to the pool at once).</summary>
    public void Return(TcpSession session)
    {
        session.Reset();
        _free.Push(session);
    }
}
