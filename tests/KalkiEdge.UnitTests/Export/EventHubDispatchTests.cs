using System.Diagnostics;
using KalkiEdge.ControlPlane;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Events;

namespace KalkiEdge.UnitTests.Export;

/// <summary>The hub's own thread: sinks off the publisher's thread, in order, bounded, overflow counted, drained at the stop.</summary>
public class EventHubDispatchTests
{
    [Test]
    public void Sinks_get_every_event_in_order_on_the_hubs_thread_and_the_stop_delivers_what_is_queued()
    {
        var first = new RecordingSink();
        var second = new RecordingSink { Delay = TimeSpan.FromMilliseconds(1) };
        var hub = BoundHub(first, second);
        hub.StartDispatching();
        for (int i = 0; i < 200; i++)
        {
            hub.OnAlert(Alert(i));
        }

        Assert.That(hub.StopDispatching(), Is.Zero, "everything queued reached the sinks before the stop returned");
        foreach (var sink in new[] { first, second })
        {
            Assert.That(sink.Numbers, Is.EqualTo(Enumerable.Range(0, 200)), "each sink sees every event, in the order published");
            Assert.That(sink.Threads, Has.None.EqualTo(Environment.CurrentManagedThreadId), "never on the publisher's thread");
        }

        Assert.That(hub.Dropped, Is.Zero);
        hub.OnAlert(Alert(200));
        Assert.That(first.Numbers[^1], Is.EqualTo(200), "after the stop an event is delivered at once, on the caller's thread");
        Assert.That(first.Threads[^1], Is.EqualTo(Environment.CurrentManagedThreadId));
    }

    [Test]
    public void A_full_queue_drops_and_counts_without_blocking_the_publisher_and_keeps_the_order_of_what_it_took()
    {
        var blocked = new RecordingSink();
        blocked.Hold.Reset(); // the sink blocks on the first event: everything after it waits in the hub's queue
        var hub = BoundHub(blocked);
        hub.StartDispatching(capacity: 8);
        hub.OnAlert(Alert(0));
        Assert.That(blocked.Entered.Wait(TimeSpan.FromSeconds(10)), Is.True, "the hub's thread took the first event");
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= 20; i++)
        {
            hub.OnAlert(Alert(i));
        }

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "publishing never waits for a sink");
        Assert.That(hub.Queues.Single(), Is.EqualTo(new SinkQueue("event-hub", 8, 12)), "8 wait, 12 refused and counted");
        blocked.Hold.Set();
        Assert.That(hub.StopDispatching(), Is.Zero);
        Assert.That(blocked.Numbers, Is.EqualTo(Enumerable.Range(0, 9)), "the first event and the 8 queued, in order");
        Assert.That(hub.Dropped, Is.EqualTo(12));
        Assert.That(hub.Queues, Is.Empty, "no queue once the hub delivers on the caller's thread again");
    }

    [Test]
    public void A_sink_hung_past_the_stops_limit_leaves_its_queue_counted_as_undelivered()
    {
        var hung = new RecordingSink();
        hung.Hold.Reset();
        var hub = BoundHub(hung);
        hub.StartDispatching(capacity: 64);
        hub.OnAlert(Alert(0));
        Assert.That(hung.Entered.Wait(TimeSpan.FromSeconds(10)), Is.True);
        for (int i = 1; i <= 5; i++)
        {
            hub.OnAlert(Alert(i));
        }

        Assert.That(hub.StopDispatching(TimeSpan.FromMilliseconds(100)), Is.EqualTo(5));
        Assert.That(hub.Undelivered, Is.EqualTo(5));
        hung.Hold.Set();
    }

    [Test]
    public void A_throwing_sink_is_counted_and_the_others_still_get_every_event_on_the_hubs_thread()
    {
        var after = new RecordingSink();
        var hub = BoundHub(new ThrowingSink(), after);
        hub.StartDispatching();
        for (int i = 0; i < 10; i++)
        {
            hub.OnAlert(Alert(i));
        }

        hub.StopDispatching();
        Assert.That(after.Numbers, Is.EqualTo(Enumerable.Range(0, 10)));
        Assert.That(hub.SinkFailures, Is.EqualTo(10));
    }

    private static EventHub BoundHub(params IEventSink[] sinks)
    {
        var hub = new EventHub();
        foreach (var s in sinks)
        {
            hub.Add(s);
        }

        hub.Bind(new Dictionary<string, ControlledDevice>(), new DeviceTable());
        return hub;
    }

    private static Alert Alert(int n) => new(AlertTypes.PortScan, "cam", AlertSource.Umbox, 1_796_413_579_000_000 + n, "scan") { Count = n + 1 };

    private sealed class RecordingSink : IEventSink
    {
        public List<int> Numbers { get; } = [];

        public List<int> Threads { get; } = [];

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Hold { get; } = new(true);

        public TimeSpan Delay { get; init; }

        public void Publish(ApplianceEvent e)
        {
            Entered.Set();
            Hold.Wait(TimeSpan.FromSeconds(30));
            if (Delay > TimeSpan.Zero)
            {
                Thread.Sleep(Delay);
            }

            lock (Numbers)
            {
                Numbers.Add(((AlertEvent)e).Alert.Count - 1);
                Threads.Add(Environment.CurrentManagedThreadId);
            }
        }
    }

    private sealed class ThrowingSink : IEventSink
    {
        public void Publish(ApplianceEvent e) => throw new IOException("collector away");
    }
}
