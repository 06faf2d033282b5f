using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;
using KalkiEdge.DataPlane.Tls;
using KalkiEdge.Store;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace KalkiEdge.Export.Fleet;

/// <summary>Fleet publisher counters (read by health messages and tests).</summary>
public sealed class FleetCounters
{
    /// <summary>Events (and state messages) the broker acknowledged.</summary>
    public long Published;

    /// <summary>MQTT messages the broker acknowledged (a batch of EVE lines is one).</summary>
    public long Messages;
    public long Dropped;
    public long Lost;
    public long RefusedByBroker;
    public long Commands;
    public long CommandsRefused;
    public long ConnectFailures;
    public long Connects;
}

/// <summary>
/// The appliance in a fleet: events to the site's MQTT broker (QoS 1, TLS, client certificate or user name), its
/// state retained there (status with a last will, device inventory, health), and operators' commands from it.
/// The control loop only queues an event (bounded; beyond <see cref="MemoryCapacity"/> waiting, new events are
/// dropped and counted) and wakes the publisher only when it sleeps for lack of work. A thread of its own takes
/// queued events in rounds and batches them as they will travel: what came while a round was published is the
/// next round, taken at once, so a storm batches itself and costs the control loop no wake-ups; once the queue is
/// empty the thread sleeps until the next event signals it (or <see cref="IdleWait"/> passes, for the summaries,
/// health and reconnecting). While the broker is there it never sleeps with events waiting, so a slow scheduler
/// cannot add a sleep's overrun to an alert's way to the broker; while it is away, rounds are gathered for
/// <see cref="SpillGather"/>, so the outbox takes one commit per round rather than one per event.
/// While the broker is connected and nothing waits on disk, a round's messages are published straight from memory
/// and the disk is not touched: an alert reaches the broker in one round trip, not behind SQLite commits and
/// checkpoints. What the broker did not acknowledge (it went away, or a publish timed out), and everything after it
/// until the backlog is delivered, goes to the store's <see cref="FleetOutbox"/>, which is published first, in
/// order, on reconnect (with back-off to 30 s), removing what the broker acknowledged. So a broker that is down or
/// slow never delays enforcement and never reorders events. The outbox is bounded too (oldest dropped, counted).
/// A publish the broker refuses (its ACL) is logged, counted and not retried. Stopping moves what is queued to the
/// outbox; a crash of the process loses what was only in memory (the queue and the messages of one round).
/// The thread and its loop are the publisher's own, not an <see cref="EventQueueWorker"/>'s: a round works with no
/// event queued too (the outbox, replies, state, summaries, reconnecting), only the broker's answers say whether it
/// gathers or sleeps, and the stop moves what is queued to the outbox rather than delivering it; it shares the
/// queue and the wake-up (<see cref="IdleWake"/>).
/// </summary>
public sealed partial class FleetPublisher : IEventSink, IQueuedSink, IDisposable
{
    public const int MemoryCapacity = 65_536;

    /// <summary>Largest packet accepted from the broker: a bigger one is never delivered to this client.</summary>
    public const int MaxIncomingPacket = 64 * 1024;

    /// <summary>The longest the thread sleeps with nothing queued: an event or a command's reply wakes it before.</summary>
    public static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(250);

    /// <summary>With the broker away, events go to the outbox at most one commit per this long (as the EVE file's writes are gathered).</summary>
    public static readonly TimeSpan SpillGather = TimeSpan.FromMilliseconds(20);

    /// <summary>Outbox rows read per round (a row is a batch of events): at least <see cref="InFlight"/> full messages.</summary>
    private const int OutboxChunk = 1024;

    /// <summary>Queued events taken per round.</summary>
    private const int MoveChunk = 4096;

    /// <summary>Publishes awaiting the broker's acknowledgement at once: below Mosquitto's default receive maximum (20).</summary>
    private const int InFlight = 16;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(10);

    private readonly FleetSettings _settings;
    private readonly FleetOutbox _outbox;
    private readonly IFleetOperations _operations;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly FleetCommands _commands;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly BoundedEventQueue _queue = new(MemoryCapacity);
    private readonly ConcurrentQueue<FleetReply> _replies = new();
    private readonly IdleWake _wake = new();
    private readonly Func<bool> _nothingToDo;
    private readonly Dictionary<string, long> _alertsSince = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Forwarded, long Dropped, long Replied)> _trafficBefore = new(StringComparer.Ordinal);
    private readonly HashSet<string> _refusedTopics = new(StringComparer.Ordinal);
    private readonly List<ApplianceEvent> _events = new(MoveChunk);
    private readonly List<OutboxMessage> _taken = new(MoveChunk);
    /// <summary>The round's messages, in order: published from memory, or appended to the outbox.</summary>
    private readonly List<(string Topic, byte[] Payload)> _rows = [];
    private readonly Thread _thread;
    private readonly TimeSpan _idleWait;
    private TimeSpan _backoff = TimeSpan.FromMilliseconds(250);
    private long _nextAttempt;
    private long _nextSummary;
    private long _summaryFrom;
    private long _devicesPublishedAt;
    private bool _devicesDirty = true;
    private bool _healthDue = true;
    private bool _wasConnected;
    private volatile bool _stopping;

    public FleetPublisher(FleetSettings settings, FleetOutbox outbox, IFleetOperations operations, ILogger log, TimeProvider? time = null)
        : this(settings, outbox, operations, log, time, IdleWait)
    {
    }

    /// <summary>A publisher whose thread sleeps at most <paramref name="idleWait"/> with nothing queued (tests make it long, so only a wake-up can end it).</summary>
    internal FleetPublisher(FleetSettings settings, FleetOutbox outbox, IFleetOperations operations, ILogger log, TimeProvider? time, TimeSpan idleWait)
    {
        _idleWait = idleWait;
        _nothingToDo = NothingToDo;
        _settings = settings;
        _outbox = outbox;
        _operations = operations;
        _log = log;
        _time = time ?? TimeProvider.System;
        Topics = new FleetTopics(settings.TopicRoot, settings.ApplianceId);
        _commands = new FleetCommands(settings, Topics, operations, _time);
        _options = BuildOptions(settings, Topics, NowMicros());
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessage;
        _client.DisconnectedAsync += OnDisconnected;
        _summaryFrom = NowMicros();
        _nextSummary = _summaryFrom + (long)settings.SummaryInterval.TotalMicroseconds;
        _thread = new Thread(Run) { IsBackground = true, Name = "fleet-mqtt" };
        _thread.Start();
    }

    public FleetTopics Topics { get; }

    public FleetCounters Counters { get; } = new();

    /// <summary>Where the publisher's thread spends its time (read by the bench).</summary>
    public FleetTimings Timings { get; } = new();

    public bool Connected => _client.IsConnected;

    /// <summary>The thread has found nothing queued and sleeps, or is about to, until an event wakes it.</summary>
    internal bool Asleep => _wake.Idle;

    /// <summary>Events waiting in the outbox (on disk).</summary>
    public int Queued => _outbox.Count;

    /// <summary>Events in memory waiting for the publisher's thread, then events in the outbox on disk (oldest dropped beyond its limit).</summary>
    public IEnumerable<SinkQueue> Queues =>
        [new("fleet", _queue.Count, Interlocked.Read(ref Counters.Dropped)), new("fleet-outbox", _outbox.Count, _outbox.Dropped + _outbox.Lost)];

    public void Publish(ApplianceEvent e)
    {
        if (_stopping || !_queue.TryAdd(e))
        {
            Interlocked.Increment(ref Counters.Dropped);
            return;
        }

        _wake.WakeIfIdle(); // only a thread asleep for lack of work: a wake-up per event would cost the control loop
    }

    /// <summary>
    /// Stops: what is queued goes to the outbox, the outbox is published for at most a few seconds if the broker is
    /// there (the rest waits on disk for the next start), <c>offline</c> is published and the session closed.
    /// </summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _wake.Wake();
        _thread.Join(TimeSpan.FromSeconds(15));
        _client.Dispose();
        _outbox.Dispose();
    }

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                // More in the outbox, or events came while this round's were published: the next round at once.
                var round = Pass();
                if (round is Round.More || (round is Round.Worked && !_queue.IsEmpty))
                {
                    continue;
                }

                if (round is Round.Spilled)
                {
                    // Nothing waits on the broker now: gathering spares the disk a commit per event.
                    var gathering = Stopwatch.GetTimestamp();
                    Timings.Gather.Record(gathering, _wake.Pause(SpillGather) ? 1 : 0); // not signalled by events: the thread is not idle
                    continue;
                }

                SleepUntilWoken();
            }

            Stop();
        }
#pragma warning disable CA1031 // the publisher's thread must never take the appliance down: log and stop exporting
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.Crashed(_log, e.ToString());
        }
    }

    /// <summary>
    /// Sleeps until the control loop queues an event or a command's reply is due (<see cref="IdleWake.WakeIfIdle"/>),
    /// at most <see cref="IdleWait"/> (in tests, as they set it); an event queued meanwhile is either seen by the
    /// last look or signals, so no wake-up is missed.
    /// </summary>
    private void SleepUntilWoken()
    {
        var asleep = Stopwatch.GetTimestamp();
        if (_wake.Sleep(_idleWait, _nothingToDo) is var slept and not IdleWake.Slept.No)
        {
            Timings.Sleep.Record(asleep, slept is IdleWake.Slept.Woken ? 1 : 0);
        }
    }

    private bool NothingToDo() => _queue.IsEmpty && _replies.IsEmpty && !_stopping;

    /// <summary>What a round of work found.</summary>
    private enum Round
    {
        /// <summary>More is waiting in the outbox right now.</summary>
        More,

        /// <summary>Events came: those queued meanwhile are the next round.</summary>
        Worked,

        /// <summary>Events came and went to the outbox, the broker being away: gather the next round's for <see cref="SpillGather"/>.</summary>
        Spilled,

        /// <summary>Nothing waiting, or the broker is away: sleep until the next event (or for the reconnect's back-off).</summary>
        Idle,
    }

    private Round Pass()
    {
        var now = NowMicros();
        var worked = TakeQueued(now) > 0 ? Round.Worked : Round.Idle;
        if (now >= _nextSummary)
        {
            AddSummary(now);
        }

        if ((!_client.IsConnected && !TryConnect(now)) || !PublishState(now))
        {
            Spill(now);
            return worked is Round.Worked ? Round.Spilled : Round.Idle;
        }

        if (_outbox.Count == 0)
        {
            return PublishDirect(now) ? worked : Round.Idle;
        }

        Spill(now); // behind the backlog: in order
        if (!DrainOutbox(OutboxChunk))
        {
            return Round.Idle;
        }

        return _outbox.Count > 0 ? Round.More : worked;
    }

    /// <summary>Queued events into the round's messages, batched as they will travel; how many events.</summary>
    private int TakeQueued(long now)
    {
        _events.Clear();
        _taken.Clear();
        var taken = _queue.TakeInto(_events, MoveChunk);
        foreach (var e in _events)
        {
            // The EVE line the EVE file sink wrote (or will write): formatted once per event, stored as it is.
            switch (e)
            {
                case AlertEvent a:
                    _alertsSince[a.Alert.Type] = _alertsSince.GetValueOrDefault(a.Alert.Type) + a.Alert.Count;
                    _taken.Add(new OutboxMessage(0, Topics.Alerts, e.EveLine));
                    break;
                case TransitionOccurred:
                    _devicesDirty = true;
                    _taken.Add(new OutboxMessage(0, Topics.Transitions, e.EveLine));
                    break;
                case PairingOccurred:
                    _devicesDirty = true;
                    _taken.Add(new OutboxMessage(0, Topics.Pairing, e.EveLine));
                    break;
            }
        }

        foreach (var b in FleetBatches.Group(_taken, Topics))
        {
            _rows.Add((b.Topic, FleetBatches.Payload(b, _taken)));
        }

        _events.Clear(); // the events are not held on to until the next round
        _taken.Clear();
        return taken;
    }

    /// <summary>
    /// The round's messages straight from memory (connected, nothing on disk before them); false when the connection
    /// failed, and then what the broker did not acknowledge is in the outbox, first in line.
    /// </summary>
    private bool PublishDirect(long now)
    {
        if (_rows.Count == 0)
        {
            return true;
        }

        var acknowledged = PublishInOrder(_rows, out var failure);
        if (failure is null)
        {
            _rows.Clear();
            return true;
        }

        _rows.RemoveRange(0, acknowledged);
        var topic = _rows[0].Topic;
        Spill(now);
        Failed(topic, failure);
        return false;
    }

    /// <summary>The round's messages into the outbox (one transaction), to be published in order from there.</summary>
    private void Spill(long now)
    {
        if (_rows.Count > 0)
        {
            Append(_rows, now);
            _rows.Clear();
        }
    }

    private void Append(List<(string Topic, byte[] Payload)> rows, long now)
    {
        long droppedBefore = _outbox.Dropped, lostBefore = _outbox.Lost;
        var started = Stopwatch.GetTimestamp();
        var appended = _outbox.Append(rows, now);
        Timings.OutboxAppend.Record(started, rows.Count);
        if (!appended)
        {
            Interlocked.Add(ref Counters.Lost, _outbox.Lost - lostBefore);
            Log.OutboxRefused(_log, _outbox.Lost - lostBefore, _outbox.LastError ?? "", _outbox.Lost);
        }

        if (_outbox.Dropped > droppedBefore)
        {
            Interlocked.Add(ref Counters.Dropped, _outbox.Dropped - droppedBefore);
            if (droppedBefore == 0 || _outbox.Dropped / 10_000 != droppedBefore / 10_000)
            {
                Log.OutboxFull(_log, _outbox.Limit, _outbox.Dropped);
            }
        }
    }

    private void AddSummary(long now)
    {
        var devices = _operations.Devices();
        var traffic = new List<(FleetDevice, long, long, long)>(devices.Count);
        foreach (var d in devices)
        {
            var before = _trafficBefore.GetValueOrDefault(d.Name);
            traffic.Add((d, d.Forwarded - before.Forwarded, d.Dropped - before.Dropped, d.Replied - before.Replied));
            _trafficBefore[d.Name] = (d.Forwarded, d.Dropped, d.Replied);
        }

        _rows.Add((Topics.Telemetry, FleetPayloads.Telemetry(_settings.ApplianceId, _summaryFrom, now, traffic, _alertsSince)));
        _alertsSince.Clear();
        _summaryFrom = now;
        _nextSummary = now + (long)_settings.SummaryInterval.TotalMicroseconds;
        _healthDue = true;
    }

    private bool TryConnect(long now)
    {
        if (now < _nextAttempt || _stopping)
        {
            return false;
        }

        try
        {
            using var timeout = new CancellationTokenSource(OperationTimeout);
            _client.ConnectAsync(_options, timeout.Token).GetAwaiter().GetResult();
            if (_settings.Operators.Count > 0)
            {
                var subscribed = _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Topics.CommandFilter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token).GetAwaiter().GetResult();
                if (subscribed.Items.Any(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2))
                {
                    Log.SubscribeRefused(_log, Topics.CommandFilter, subscribed.Items.First().ResultCode.ToString());
                }
            }

            Interlocked.Increment(ref Counters.Connects);
            _backoff = TimeSpan.FromMilliseconds(250);
            _wasConnected = true;
            _devicesDirty = _healthDue = true;
            Log.Connected(_log, _settings.Host, _settings.Port, Topics.Base, _outbox.Count);
            // Online first: a subscriber that sees a later event knows the appliance was up.
            return Send(Topics.Status, FleetPayloads.Status(_settings.ApplianceId, true, now), retain: true) is not SendResult.Failed;
        }
#pragma warning disable CA1031 // any failure to reach the broker is counted and retried, never fatal
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (_client.IsConnected)
            {
                // Connected, then the subscription or the online status failed (a timeout under load): a session
                // left open would never subscribe to commands nor say online, so it is closed and begun again.
                DisconnectQuietly();
            }

            _nextAttempt = now + (long)_backoff.TotalMicroseconds;
            _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
            if (Interlocked.Increment(ref Counters.ConnectFailures) == 1 || Counters.ConnectFailures % 100 == 0)
            {
                Log.ConnectFailed(_log, _settings.Host, _settings.Port, Reason(e), Counters.ConnectFailures, _outbox.Count);
            }

            return false;
        }
    }

    /// <summary>Replies, the retained inventory (at most once a second) and health when due; false when the connection failed.</summary>
    private bool PublishState(long now)
    {
        while (_replies.TryDequeue(out var reply))
        {
            if (Send(Topics.Reply(reply.Operator), reply.Payload, retain: false, reply.CorrelationData) is SendResult.Failed)
            {
                return false;
            }
        }

        if (_devicesDirty && now - _devicesPublishedAt >= 1_000_000)
        {
            if (Send(Topics.Devices, FleetPayloads.Devices(_settings.ApplianceId, _operations.Devices(), now), retain: true) is SendResult.Failed)
            {
                return false;
            }

            _devicesDirty = false;
            _devicesPublishedAt = now;
        }

        if (_healthDue)
        {
            if (Send(Topics.Health, FleetPayloads.Health(_settings.ApplianceId, _operations.Devices(), Counters, _outbox.Count, now), retain: true) is SendResult.Failed)
            {
                return false;
            }

            _healthDue = false;
        }

        return true;
    }

    /// <summary>Publishes up to <paramref name="max"/> of the oldest outbox rows in order, removing what the broker answered; false when the connection failed (or the disk could not be read).</summary>
    private bool DrainOutbox(int max)
    {
        var read = Stopwatch.GetTimestamp();
        var rows = _outbox.Oldest(max);
        Timings.OutboxRead.Record(read, rows.Count);
        if (rows.Count == 0)
        {
            return false;
        }

        var batches = FleetBatches.Group(rows, Topics);
        var done = PublishInOrder(batches.ConvertAll(b => (b.Topic, FleetBatches.Payload(b, rows))), out var failure);
        if (done > 0)
        {
            var removed = Stopwatch.GetTimestamp();
            var rowsDone = batches[done - 1].Start + batches[done - 1].Rows;
            _outbox.Remove(rows[rowsDone - 1].Id, batches.Take(done).Sum(b => b.Events));
            Timings.OutboxRemove.Record(removed, rowsDone);
        }

        if (failure is not null)
        {
            Failed(batches[done].Topic, failure);
        }

        return failure is null;
    }

    /// <summary>
    /// Publishes <paramref name="messages"/> in order; how many of the first the broker answered (acknowledged, or
    /// refused and not to be retried). <paramref name="failure"/> is what broke the connection, if it broke.
    /// </summary>
    /// <remarks>
    /// Up to <see cref="InFlight"/> messages wait for their acknowledgements at once, so neither the broker's round
    /// trips nor its per-message work are paid per message. MQTTnet writes them in call order (its send lock queues
    /// waiters first in, first out) and the broker forwards them in the order received; acknowledgements are
    /// counted in order and only the answered prefix counts as delivered, so after a failure the rest is published
    /// again (QoS 1: at least once; a subscriber may see a message twice, never out of order).
    /// </remarks>
    private int PublishInOrder(IReadOnlyList<(string Topic, byte[] Payload)> messages, out Exception? failure)
    {
        var started = Stopwatch.GetTimestamp();
        var window = new Queue<Task<MqttClientPublishResult>>(InFlight);
        using var timeout = new CancellationTokenSource(OperationTimeout);
        int next = 0, done = 0, events = 0;
        failure = null;
        try
        {
            while (done < messages.Count)
            {
                for (; next < messages.Count && window.Count < InFlight; next++)
                {
                    window.Enqueue(_client.PublishAsync(Message(messages[next].Topic, messages[next].Payload, retain: false, null), timeout.Token));
                }

                var carried = OutboxMessage.EventsIn(messages[done].Payload);
                Judge(window.Dequeue().GetAwaiter().GetResult(), messages[done].Topic, carried);
                events += carried;
                done++;
            }
        }
#pragma warning disable CA1031 // a lost connection or a timeout: what was not acknowledged is published again on the next connection
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = e;
            foreach (var pending in window)
            {
                _ = pending.ContinueWith(static t => t.Exception, TaskScheduler.Default); // they fail with the connection: observed, never unhandled
            }
        }

        Timings.Publish.Record(started, events);
        return done;
    }

    private enum SendResult
    {
        Acknowledged,
        Refused,
        Failed,
    }

    private SendResult Send(string topic, byte[] payload, bool retain, byte[]? correlation = null)
    {
        try
        {
            using var timeout = new CancellationTokenSource(OperationTimeout);
            return Judge(_client.PublishAsync(Message(topic, payload, retain, correlation), timeout.Token).GetAwaiter().GetResult(), topic, 1);
        }
#pragma warning disable CA1031 // a lost connection or a timeout: the message stays queued for the next connection
        catch (Exception e)
#pragma warning restore CA1031
        {
            Failed(topic, e);
            return SendResult.Failed;
        }
    }

    private MqttApplicationMessage Message(string topic, byte[] payload, bool retain, byte[]? correlation)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .WithContentType(FleetBatches.IsEve(topic, Topics) ? "application/x-ndjson" : "application/json")
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData);
        if (correlation is not null)
        {
            message.WithCorrelationData(correlation);
        }

        return message.Build();
    }

    /// <summary>Counts the broker's answer to one publish carrying <paramref name="events"/> events.</summary>
    private SendResult Judge(MqttClientPublishResult result, string topic, int events)
    {
        if (result.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            Interlocked.Add(ref Counters.Published, events);
            Interlocked.Increment(ref Counters.Messages);
            return SendResult.Acknowledged;
        }

        // The broker answered and will not take it (its ACL, a quota): retrying the same message cannot help.
        Interlocked.Add(ref Counters.RefusedByBroker, events);
        if (_refusedTopics.Count < 64 && _refusedTopics.Add(topic) || Counters.RefusedByBroker % 1000 == 0)
        {
            Log.PublishRefused(_log, topic, result.ReasonCode.ToString(), Counters.RefusedByBroker);
        }

        return SendResult.Refused;
    }

    /// <summary>A publish that got no answer: the connection is dropped and rebuilt with back-off.</summary>
    private void Failed(string topic, Exception e)
    {
        Log.PublishFailed(_log, topic, Reason(e), _outbox.Count);
        DisconnectQuietly();
    }

    private Task OnMessage(MqttApplicationMessageReceivedEventArgs args)
    {
        try
        {
            var m = args.ApplicationMessage;
            Interlocked.Increment(ref Counters.Commands);
            long refusedBefore = _commands.Refused, limitedBefore = _commands.RateLimited;
            var reply = _commands.Handle(m.Topic ?? "", m.Payload, m.CorrelationData);
            if (_commands.Refused > refusedBefore)
            {
                Interlocked.Increment(ref Counters.CommandsRefused);
                if (_commands.Refused <= 20 || _commands.Refused % 100 == 0)
                {
                    Log.CommandRefused(_log, _commands.LastRefusal ?? "", _commands.Refused);
                }
            }

            if (_commands.RateLimited > limitedBefore && (_commands.RateLimited == 1 || _commands.RateLimited % 1000 == 0))
            {
                Log.CommandsRateLimited(_log, FleetCommands.PerSecond, _commands.RateLimited);
            }

            if (reply is not null && _replies.Count < 64)
            {
                _replies.Enqueue(reply); // sent by the publisher's thread: publishing from here would wait on this very receive loop
                _wake.WakeIfIdle();
            }
        }
#pragma warning disable CA1031 // nothing a broker sends may take the appliance down
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref Counters.CommandsRefused);
            Log.CommandFailed(_log, Reason(e));
        }

        return Task.CompletedTask;
    }

    private Task OnDisconnected(MqttClientDisconnectedEventArgs args)
    {
        if (args.ClientWasConnected)
        {
            Log.Disconnected(_log, _settings.Host, _settings.Port, args.Reason.ToString(), args.Exception is { } e ? Reason(e) : "");
        }

        return Task.CompletedTask;
    }

    /// <summary>At the end: flush what is queued to the outbox, publish it for a few seconds, then say offline.</summary>
    private void Stop()
    {
        var deadline = _time.GetTimestamp();
        var now = NowMicros();
        while (!_queue.IsEmpty)
        {
            TakeQueued(now);
            Spill(now);
        }

        if (!_client.IsConnected && _wasConnected)
        {
            _nextAttempt = 0;
            TryConnect(now);
        }

        while (_client.IsConnected && _outbox.Count > 0 && _time.GetElapsedTime(deadline) < TimeSpan.FromSeconds(5) && DrainOutbox(OutboxChunk))
        {
        }

        if (_client.IsConnected)
        {
            Send(Topics.Status, FleetPayloads.Status(_settings.ApplianceId, false, NowMicros()), retain: true);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), timeout.Token).GetAwaiter().GetResult();
            }
#pragma warning disable CA1031 // closing a connection that is going away anyway
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        if (_outbox.Count > 0)
        {
            Log.LeftQueued(_log, _outbox.Count);
        }
    }

    private void DisconnectQuietly()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.UnspecifiedError).Build(), timeout.Token).GetAwaiter().GetResult();
        }
#pragma warning disable CA1031 // the connection is broken already
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private long NowMicros() => (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;

    private static string Reason(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner.Message.Length == 0)
        {
            inner = inner.InnerException;
        }

        var text = inner.InnerException is { } cause ? $"{inner.Message} ({cause.Message})" : inner.Message;
        return text.Length > 300 ? text[..300] : text;
    }

    private static MqttClientOptions BuildOptions(FleetSettings s, FleetTopics topics, long nowMicros)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(s.Host, s.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId($"kalki-edge-{s.ApplianceId}")
            .WithCleanStart(true) // commands sent while the appliance was away are not carried out later
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithTimeout(OperationTimeout)
            .WithMaximumPacketSize(MaxIncomingPacket)
            .WithWillTopic(topics.Status)
            .WithWillPayload(FleetPayloads.Status(s.ApplianceId, false, nowMicros))
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillContentType("application/json");
        if (s.Username is { } user)
        {
            options.WithCredentials(user, s.PasswordFile is { } file ? ReadPassword(file) : null);
        }

        if (s.Tls)
        {
            var trust = new SiteTrust(s.CaFile);
            options.WithTlsOptions(tls =>
            {
                tls.UseTls(true)
                    .WithTargetHost(s.Host)
                    .WithCertificateValidationHandler(a => trust.Accepts(a.Certificate, a.SslPolicyErrors));
                if (s.CertificateFile is { } cert && s.KeyFile is { } key)
                {
                    tls.WithClientCertificates(new X509Certificate2Collection(X509Certificate2.CreateFromPemFile(cert, key)));
                }
            });
        }

        return options.Build();
    }

    private static string ReadPassword(string file)
    {
        var info = new FileInfo(file);
        if (info.Length > 4096)
        {
            throw new IOException($"the password file '{file}' is larger than 4096 bytes");
        }

        return File.ReadAllText(file).TrimEnd('\r', '\n');
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "fleet: connected to {Host}:{Port}, publishing under {Topic}/ ({Queued} queued messages to deliver)")]
        public static partial void Connected(ILogger logger, string host, int port, string topic, int queued);

        [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "fleet: cannot reach the broker {Host}:{Port}: {Reason} ({Failures} failures so far); {Queued} messages queued on disk")]
        public static partial void ConnectFailed(ILogger logger, string host, int port, string reason, long failures, int queued);

        [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "fleet: disconnected from {Host}:{Port} ({Reason}) {Detail}; reconnecting with back-off")]
        public static partial void Disconnected(ILogger logger, string host, int port, string reason, string detail);

        [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "fleet: the broker refused a message on {Topic}: {Reason} (check its ACL; {Refused} refused so far, not retried)")]
        public static partial void PublishRefused(ILogger logger, string topic, string reason, long refused);

        [LoggerMessage(EventId = 34, Level = LogLevel.Warning, Message = "fleet: publishing to {Topic} failed: {Reason}; {Queued} messages stay queued on disk")]
        public static partial void PublishFailed(ILogger logger, string topic, string reason, int queued);

        [LoggerMessage(EventId = 35, Level = LogLevel.Warning, Message = "fleet: command refused: {Reason} ({Refused} refused so far)")]
        public static partial void CommandRefused(ILogger logger, string reason, long refused);

        [LoggerMessage(EventId = 36, Level = LogLevel.Warning, Message = "fleet: commands arrive faster than {PerSecond}/s: dropped without an answer ({Dropped} so far)")]
        public static partial void CommandsRateLimited(ILogger logger, int perSecond, long dropped);

        [LoggerMessage(EventId = 37, Level = LogLevel.Error, Message = "fleet: a command could not be handled: {Reason}")]
        public static partial void CommandFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 38, Level = LogLevel.Warning, Message = "fleet: the outbox is full ({Limit} events): oldest dropped ({Dropped} so far)")]
        public static partial void OutboxFull(ILogger logger, int limit, long dropped);

        [LoggerMessage(EventId = 39, Level = LogLevel.Error, Message = "fleet: the store refused {Count} events for the outbox: {Reason} ({Lost} lost so far)")]
        public static partial void OutboxRefused(ILogger logger, long count, string reason, long lost);

        [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "fleet: the broker refused the command subscription {Filter}: {Reason}; no commands will arrive")]
        public static partial void SubscribeRefused(ILogger logger, string filter, string reason);

        [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "fleet: stopping with {Queued} messages queued on disk (delivered after the next start)")]
        public static partial void LeftQueued(ILogger logger, int queued);

        [LoggerMessage(EventId = 42, Level = LogLevel.Error, Message = "fleet: the publisher stopped: {Error}")]
        public static partial void Crashed(ILogger logger, string error);
    }
}
