using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using KalkiEdge.Export.Events;
using KalkiEdge.Management.Api;

namespace KalkiEdge.Management.Live;

/// <summary>
/// The dashboard's live stream: a sink of the appliance's one event hub (<see cref="Export.Events.EventHub"/>, the
/// same fan-out that feeds the EVE file, the journal and syslog), plus the dashboard's own device-change and
/// traffic events, out to Server-Sent Events clients. Publishing never blocks and allocates only the small payload
/// (the hub calls it on the control thread after the reaction); one pump serializes each event once; every client
/// has a bounded buffer, and a client that falls that far behind is dropped (its browser reconnects), so a slow
/// reader costs the appliance nothing.
/// </summary>
public sealed class DashboardStream : IEventSink, IDisposable
{
    public const int InboxCapacity = 4096;
    public const int ClientCapacity = 256;

    private readonly Channel<(string Name, object Payload)> _inbox = Channel.CreateBounded<(string, object)>(
        new BoundedChannelOptions(InboxCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly ConcurrentDictionary<long, EventClient> _clients = new();
    private readonly Task _pump;
    private long _nextId;
    private long _droppedClients;

    public DashboardStream() => _pump = Task.Run(PumpAsync);

    public int Clients => _clients.Count;

    public long DroppedClients => Interlocked.Read(ref _droppedClients);

    /// <summary>Events waiting for the pump (bounded by <see cref="InboxCapacity"/>; the oldest go first when full).</summary>
    public int Queued => _inbox.Reader.Count;

    /// <summary>Queues an event for every client (payload: one of the API's JSON shapes).</summary>
    public void Publish(string name, object payload) => _inbox.Writer.TryWrite((name, payload));

    /// <summary>An alert or a state change from the appliance's event hub, in the API's shapes.</summary>
    public void Publish(ApplianceEvent e)
    {
        switch (e)
        {
            case AlertEvent { Alert: var a }:
                Publish("alert", new AlertInfo(a.Type, a.TimeMicros, a.Info) { Device = a.Device, Source = a.Source.ToString(), Element = a.Element, Count = a.Count });
                break;
            case TransitionOccurred { Transition: var t }:
                Publish("transition", new TransitionEventInfo(t.Device, t.From, t.To, t.Rule, t.ReactionMicros, t.FinishMicros));
                break;
        }
    }

    public EventClient Subscribe()
    {
        var client = new EventClient(Interlocked.Increment(ref _nextId));
        _clients[client.Id] = client;
        return client;
    }

    public void Unsubscribe(EventClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (_clients.TryRemove(client.Id, out _))
        {
            client.Close();
        }
    }

    public void Dispose()
    {
        _inbox.Writer.TryComplete();
        _pump.Wait(TimeSpan.FromSeconds(5));
        foreach (var client in _clients.Values)
        {
            client.Close();
        }
    }

    private async Task PumpAsync()
    {
        await foreach (var (name, payload) in _inbox.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (_clients.IsEmpty)
            {
                continue;
            }

            var json = JsonSerializer.SerializeToUtf8Bytes(payload, payload.GetType(), ApiJsonContext.Default);
            var frame = Encoding.UTF8.GetBytes($"event: {name}\ndata: ").Concat(json).Concat("\n\n"u8.ToArray()).ToArray();
            foreach (var client in _clients.Values)
            {
                if (!client.Offer(frame) && _clients.TryRemove(client.Id, out _))
                {
                    Interlocked.Increment(ref _droppedClients);
                    client.Close();
                }
            }
        }
    }
}

/// <summary>One SSE connection's bounded queue of encoded events.</summary>
public sealed class EventClient(long id)
{
    private readonly Channel<byte[]> _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(DashboardStream.ClientCapacity) { FullMode = BoundedChannelFullMode.Wait });

    public long Id { get; } = id;

    public ChannelReader<byte[]> Reader => _queue.Reader;

    /// <summary>False when the client's buffer is full (it is too slow and gets dropped).</summary>
    internal bool Offer(byte[] frame) => _queue.Writer.TryWrite(frame);

    internal void Close() => _queue.Writer.TryComplete();
}
