using System.Threading.Channels;

namespace KalkiEdge.Management.Live;

/// <summary>
/// One SSE connection's queue of encoded chunks (shared with every other client: the stream encodes each once),
/// bounded in bytes: a client more than <see cref="Budget"/> behind is dropped rather than buffered for.
/// </summary>
public sealed class EventClient(long id)
{
    public const int Budget = 1 << 20;

    private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private long _pending;

    public long Id { get; } = id;

    /// <summary>Bytes queued and not yet taken by the connection.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>Waits for a chunk; false once the client is closed (dropped, or the stream shut down).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancel) => _queue.Reader.WaitToReadAsync(cancel);

    public bool TryRead(out byte[] chunk)
    {
        if (!_queue.Reader.TryRead(out chunk!))
        {
            return false;
        }

        Interlocked.Add(ref _pending, -chunk.Length);
        return true;
    }

    /// <summary>False when the client is over its budget (too slow: it gets dropped) or closed.</summary>
    internal bool Offer(byte[] chunk)
    {
        if (Interlocked.Add(ref _pending, chunk.Length) > Budget)
        {
            return false;
        }

        return _queue.Writer.TryWrite(chunk);
    }

    internal void Close() => _queue.Writer.TryComplete();
}
