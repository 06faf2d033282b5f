using System.Collections.Concurrent;
using System.Threading.Channels;
using KalkiEdge.Core;
using KalkiEdge.Export.Events;
using KalkiEdge.Management.Api;

namespace KalkiEdge.Management.Live;

/// <summary>
/// The dashboard's live stream: a sink of the appliance's one event hub (<see cref="Export.Events.EventHub"/>, the
/// same fan-out that feeds the EVE file, the journal and syslog), plus the dashboard's own device-change, pairing
/// and traffic events, out to Server-Sent Events clients.
/// <para>
/// Publishing never blocks: an alert costs the control thread one enqueue of the alert itself (nothing when no
/// client is connected). One pump drains the inbox in order, folds alert storms (<see cref="AlertCoalescer"/>),
/// encodes each round's events once into chunks every client's queue shares, and after a busy round pauses
/// <see cref="Gather"/> so that a storm is taken in batches (and the control thread rarely has a pump to wake).
/// </para>
/// <para>
/// Bounds: at most <see cref="InboxCapacity"/> alerts wait in the inbox; beyond that an alert is counted, not
/// queued, and the count goes out as an <c>overflow</c> event. Every other event (transitions above all) is never
/// dropped or folded: should <see cref="InboxCapacity"/> of them ever be waiting, every client is disconnected
/// instead (its page reconnects and reads the state afresh), as is a client more than <see cref="EventClient.Budget"/>
/// behind, so no client silently misses a state change.
/// </para>
/// </summary>
public sealed class DashboardStream : IEventSink, IDisposable
{
    public const int InboxCapacity = 4096;

    /// <summary>Most inbox items one round takes before it flushes windows and sends (keeps a storm from starving the clock).</summary>
    public const int RoundLimit = 4096;

    public static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(5);

    // Items in order; a null name marks an alert (the payload is the hub's Alert, turned into a live event by the pump).
    private readonly Channel<(string? Name, object Payload)> _inbox = Channel.CreateUnbounded<(string?, object)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<long, EventClient> _clients = new();
    private readonly TimeProvider _time;
    private readonly AlertCoalescer _coalescer;
    private readonly SseChunks _encoder = new();
    private readonly Task _pump;
    private long _nextId;
    private long _droppedClients;
    private int _clientCount;
    private int _queuedAlerts;
    private int _queuedOthers;
    private long _shed;
    private int _overrun;

    public DashboardStream(TimeProvider? time = null, TimeSpan? window = null, int maxKeys = AlertCoalescer.DefaultMaxKeys)
    {
        _time = time ?? TimeProvider.System;
        _coalescer = new AlertCoalescer(_time, window, maxKeys);
        _pump = Task.Run(PumpAsync);
    }

    public int Clients => Volatile.Read(ref _clientCount);

    public long DroppedClients => Interlocked.Read(ref _droppedClients);

    /// <summary>Events waiting for the pump.</summary>
    public int Queued => Volatile.Read(ref _queuedAlerts) + Volatile.Read(ref _queuedOthers);

    /// <summary>Device and alert type pairs whose coalescing window is open.</summary>
    public int CoalescedPairs => _coalescer.Keys;

    /// <summary>Alerts folded into a flood event of their device and type.</summary>
    public long FoldedAlerts => _coalescer.Folded;

    /// <summary>Alerts counted into an overflow event (beyond the coalescer's cap, or refused by the full inbox).</summary>
    public long OverflowedAlerts => _coalescer.Overflowed + Interlocked.Read(ref _shed);

    /// <summary>Queues an event for every client, in order, never dropped (payload: one of the API's JSON shapes).</summary>
    public void Publish(string name, object payload)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Clients == 0)
        {
            return;
        }

        if (Interlocked.Increment(ref _queuedOthers) > InboxCapacity)
        {
            Interlocked.Decrement(ref _queuedOthers);
            Volatile.Write(ref _overrun, 1);
            return;
        }

        _inbox.Writer.TryWrite((name, payload));
    }

    /// <summary>An alert or a state change from the appliance's event hub (on the control thread: an enqueue at most).</summary>
    public void Publish(ApplianceEvent e)
    {
        switch (e)
        {
            case AlertEvent { Alert: var a }:
                PublishAlert(a);
                break;
            case TransitionOccurred { Transition: var t }:
                Publish(StreamEvent.Transition, new TransitionEventInfo(t.Device, t.From, t.To, t.Rule, t.ReactionMicros, t.FinishMicros));
                break;
        }
    }

    public EventClient Subscribe()
    {
        var client = new EventClient(Interlocked.Increment(ref _nextId));
        _clients[client.Id] = client;
        Interlocked.Increment(ref _clientCount);
        return client;
    }

    public void Unsubscribe(EventClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Remove(client, dropped: false);
    }

    public void Dispose()
    {
        _inbox.Writer.TryComplete();
        _pump.Wait(TimeSpan.FromSeconds(5));
        foreach (var client in _clients.Values)
        {
            Remove(client, dropped: false);
        }

        if (_pump.IsCompleted)
        {
            _encoder.Dispose();
        }
    }

    private void PublishAlert(Alert alert)
    {
        if (Clients == 0)
        {
            return;
        }

        if (Interlocked.Increment(ref _queuedAlerts) > InboxCapacity)
        {
            Interlocked.Decrement(ref _queuedAlerts);
            Interlocked.Increment(ref _shed);
            return;
        }

        _inbox.Writer.TryWrite((null, alert));
    }

    private async Task PumpAsync()
    {
        var reader = _inbox.Reader;
        var round = new List<StreamEvent>();
        var chunks = new List<byte[]>();
        Task<bool>? waiting = null;
        while (true)
        {
            if (!reader.TryPeek(out _))
            {
                waiting ??= reader.WaitToReadAsync().AsTask();
                var due = _coalescer.UntilNextWindowEnds();
                var woke = due is { } d ? await Task.WhenAny(waiting, Task.Delay(d, _time)).ConfigureAwait(false) : waiting;
                if (woke == waiting)
                {
                    var more = await waiting.ConfigureAwait(false);
                    waiting = null;
                    if (!more)
                    {
                        return; // disposed
                    }
                }
            }

            var taken = Take(reader, round);
            _coalescer.Shed(Interlocked.Exchange(ref _shed, 0));
            _coalescer.Flush(round);
            if (Interlocked.Exchange(ref _overrun, 0) == 1)
            {
                DropEveryClient();
            }

            Send(round, chunks);
            round.Clear();
            chunks.Clear();
            if (taken > 0)
            {
                await Task.Delay(Gather, _time).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Takes one round of the inbox, in order: alerts through the coalescer, everything else as it is.</summary>
    private int Take(ChannelReader<(string? Name, object Payload)> reader, List<StreamEvent> round)
    {
        int taken = 0;
        while (taken < RoundLimit && reader.TryRead(out var item))
        {
            taken++;
            if (item.Name is null)
            {
                Interlocked.Decrement(ref _queuedAlerts);
                if (_coalescer.Offer((Alert)item.Payload) is { } now)
                {
                    round.Add(new StreamEvent(StreamEvent.Alert, now));
                }
            }
            else
            {
                Interlocked.Decrement(ref _queuedOthers);
                round.Add(new StreamEvent(item.Name, item.Payload));
            }
        }

        return taken;
    }

    private void Send(List<StreamEvent> round, List<byte[]> chunks)
    {
        if (round.Count == 0 || Clients == 0)
        {
            return;
        }

        _encoder.Encode(round, chunks);
        foreach (var client in _clients.Values)
        {
            foreach (var chunk in chunks)
            {
                if (!client.Offer(chunk))
                {
                    Remove(client, dropped: true);
                    break;
                }
            }
        }
    }

    private void DropEveryClient()
    {
        foreach (var client in _clients.Values)
        {
            Remove(client, dropped: true);
        }
    }

    private void Remove(EventClient client, bool dropped)
    {
        if (_clients.TryRemove(client.Id, out _))
        {
            Interlocked.Decrement(ref _clientCount);
            if (dropped)
            {
                Interlocked.Increment(ref _droppedClients);
            }

            client.Close();
        }
    }
}
