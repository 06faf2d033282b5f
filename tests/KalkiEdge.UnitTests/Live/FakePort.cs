using System.Collections.Concurrent;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Live;

namespace KalkiEdge.UnitTests.Live;

/// <summary>An in-memory bridge port: frames queued by the test are "received"; sent frames are recorded (or only counted).</summary>
internal sealed class FakePort(string name, ulong mac = 0, bool record = true) : IBridgePort
{
    private readonly BlockingCollection<byte[]> _inbound = [];
    private readonly CancellationTokenSource _stop = new();

    public string Name { get; } = name;

    public ulong Mac { get; } = mac;

    public PortCounters Counters { get; } = new();

    public ConcurrentQueue<byte[]> Sent { get; } = new();

    public void Receive(byte[] frame) => _inbound.Add(frame);

    /// <summary>Blocks until a queued frame or <see cref="Stop"/>, like a live capture.</summary>
    public bool TryRead(Frame frame)
    {
        try
        {
            Load(frame, _inbound.Take(_stop.Token));
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public PortRead ReadWithin(Frame frame, TimeSpan limit)
    {
        try
        {
            if (!_inbound.TryTake(out var bytes, (int)Math.Ceiling(limit.TotalMilliseconds), _stop.Token))
            {
                return PortRead.Empty;
            }

            Load(frame, bytes);
            return PortRead.Frame;
        }
        catch (OperationCanceledException)
        {
            return PortRead.Stopped;
        }
    }

    public PortRead ReadNow(Frame frame)
    {
        if (_stop.IsCancellationRequested)
        {
            return PortRead.Stopped;
        }

        if (!_inbound.TryTake(out var bytes))
        {
            return PortRead.Empty;
        }

        Load(frame, bytes);
        return PortRead.Frame;
    }

    public void Send(Frame frame)
    {
        if (record)
        {
            Sent.Enqueue(frame.Data.ToArray());
        }

        Interlocked.Increment(ref Counters.Sent);
    }

    public ITransmitBatch OpenBatch(int capacity)
    {
        var batch = new QueuedBatch(this, capacity);
        Batches.Enqueue(batch);
        return batch;
    }

    /// <summary>Every transmit batch a capture thread opened on this port.</summary>
    public ConcurrentQueue<QueuedBatch> Batches { get; } = new();

    public void Stop() => _stop.Cancel();

    /// <summary>Capture time: one microsecond per frame received on this port.</summary>
    private void Load(Frame frame, byte[] bytes) =>
        frame.Load(bytes, 1_700_000_000_000_000 + Interlocked.Increment(ref Counters.Received), frame.Direction);

    /// <summary>Frames the kernel's capture ring "dropped" (libpcap's ps_drop), as a busy real port reports them.</summary>
    public long RingDropped { get; set; }

    public CaptureStatistics ReadStatistics() => new(Counters.Received, RingDropped, 0);

    public void Dispose()
    {
        _stop.Dispose();
        _inbound.Dispose();
    }
}
