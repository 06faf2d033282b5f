using System.Collections.Concurrent;
using System.Diagnostics;
using KalkiEdge.Export.Events;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.UnitTests.Export.EveFileSinkTests;

namespace KalkiEdge.UnitTests.Export;

/// <summary>
/// The bounded queue with a consumer thread of its own that the hub, the EVE file and syslog share: posting never
/// blocks, a full queue drops and counts exactly, a sleeping consumer is woken by the post that finds it asleep and
/// by no other, and the stop is bounded and says what it left.
/// </summary>
public class EventQueueWorkerTests
{
    /// <summary>The consumer's fallback wait: an event left for it would miss every bound below.</summary>
    private static readonly TimeSpan NeverByTimeout = TimeSpan.FromMinutes(10);

    [Test]
    public void Many_producers_posting_while_the_consumer_falls_asleep_lose_nothing_below_the_bound_and_keep_each_ones_order()
    {
        const int Producers = 8, PerRound = 40, Rounds = 300;
        var consumer = new Consumer();
        var worker = new EventQueueWorker("test-worker", Producers * PerRound, consumer.TakeAll, idleWait: NeverByTimeout);
        var refused = 0;
        long dropped = 0;
        using var start = new Barrier(Producers + 1);
        var producers = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                start.SignalAndWait();
                for (int i = 0; i < PerRound; i++)
                {
                    if (worker.Post(Event(p * 1_000_000 + round * 1000 + i), ref dropped) is not EventQueueWorker.Posted.Queued)
                    {
                        Interlocked.Increment(ref refused);
                    }
                }
            }
        }) { IsBackground = true }).ToList();
        producers.ForEach(t => t.Start());
        for (int round = 0; round < Rounds; round++)
        {
            WaitFor(() => worker.Asleep); // the first post of the round must wake it; later ones race with its next sleep
            start.SignalAndWait();
            var expected = (round + 1) * Producers * PerRound;
            WaitFor(() => consumer.Count == expected);
        }

        producers.ForEach(t => t.Join());
        Assert.That(worker.Stop(TimeSpan.FromSeconds(10)), Is.Zero);
        Assert.That((refused, dropped), Is.EqualTo((0, 0L)), "never more than the bound was waiting: nothing refused");
        foreach (var perProducer in consumer.Numbers.GroupBy(n => n / 1_000_000))
        {
            Assert.That(perProducer, Is.Ordered.And.Unique, $"producer {perProducer.Key}'s events in the order it posted them");
            Assert.That(perProducer.Count(), Is.EqualTo(Rounds * PerRound));
        }
    }

    [Test]
    public void Above_the_bound_posts_never_block_and_exactly_the_overflow_is_dropped_and_counted()
    {
        const int Capacity = 100, Producers = 8, Each = 100, First = 9_000_000;
        var consumer = new Consumer();
        consumer.Hold.Reset(); // the consumer blocks in its first event: everything after it waits in the queue
        var worker = new EventQueueWorker("test-worker", Capacity, consumer.TakeAll, idleWait: NeverByTimeout);
        long dropped = 0;
        worker.Post(Event(First), ref dropped);
        Assert.That(consumer.Entered.Wait(TimeSpan.FromSeconds(10)), Is.True);
        var queued = new ConcurrentBag<int>();
        var full = 0;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, Producers, new ParallelOptions { MaxDegreeOfParallelism = Producers }, p =>
        {
            for (int i = 0; i < Each; i++)
            {
                var n = p * 1_000_000 + i;
                switch (worker.Post(Event(n), ref dropped))
                {
                    case EventQueueWorker.Posted.Queued: queued.Add(n); break;
                    case EventQueueWorker.Posted.Full: Interlocked.Increment(ref full); break;
                    default: Assert.Fail("not stopped"); break;
                }
            }
        });

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "posting never waits for the consumer");
        Assert.That((queued.Count, full, Interlocked.Read(ref dropped), worker.Depth), Is.EqualTo((Capacity, Producers * Each - Capacity, (long)(Producers * Each - Capacity), Capacity)));
        consumer.Hold.Set();
        Assert.That(worker.Stop(TimeSpan.FromSeconds(10)), Is.Zero);
        Assert.That(consumer.Numbers[0], Is.EqualTo(First));
        Assert.That(consumer.Numbers.Skip(1), Is.EquivalentTo(queued), "exactly the accepted events reached the consumer");
        foreach (var perProducer in consumer.Numbers.Skip(1).GroupBy(n => n / 1_000_000))
        {
            Assert.That(perProducer, Is.Ordered, "in the order posted");
        }
    }

    [Test]
    public void Posting_allocates_nothing_on_the_producers_thread_whether_the_event_is_queued_refused_or_wakes_the_thread()
    {
        var consumer = new Consumer();
        var worker = new EventQueueWorker("test-worker", 256, consumer.TakeAll);
        var events = Enumerable.Range(0, 1000).Select(Event).ToArray();
        long dropped = 0;
        int posted = 0;
        var allocated = SteadyAllocations.Fewest(_ =>
        {
            foreach (var e in events)
            {
                worker.Post(e, ref dropped);
                posted++;
            }

            for (int i = 0; i < 10_000 && (worker.Depth > 0 || !worker.Asleep); i++)
            {
                Thread.Sleep(1); // drained and asleep again: the next pass's first post wakes it
            }
        }, passes: 5);

        Assert.That(worker.Stop(TimeSpan.FromSeconds(10)), Is.Zero);
        Assert.That(allocated, Is.Zero, "bytes allocated on the producer's thread by a pass of 1,000 posts");
        Assert.That(consumer.Count + dropped, Is.EqualTo(posted), "every post delivered or counted");
    }

    [Test]
    public void The_stop_delivers_what_is_queued_before_it_returns_and_refuses_later_events_without_counting_them()
    {
        var consumer = new Consumer { Delay = TimeSpan.FromMilliseconds(1) };
        var worker = new EventQueueWorker("test-worker", 1000, consumer.TakeAll);
        long dropped = 0;
        for (int i = 0; i < 200; i++)
        {
            worker.Post(Event(i), ref dropped);
        }

        Assert.That(worker.Stop(TimeSpan.FromSeconds(30)), Is.Zero);
        Assert.That(consumer.Numbers, Is.EqualTo(Enumerable.Range(0, 200)));
        Assert.That(worker.Running, Is.False);
        Assert.That(worker.Post(Event(200), ref dropped), Is.EqualTo(EventQueueWorker.Posted.Stopped));
        Assert.That((dropped, worker.Depth), Is.EqualTo((0L, 0)), "a refusal after the stop is the caller's to count (the hub delivers it itself)");
        worker.PostOrDrop(Event(201), ref dropped);
        Assert.That((dropped, worker.Depth), Is.EqualTo((1L, 0)), "or counted as dropped, for a sink with nowhere else to send it");
    }

    [Test]
    public void A_consumer_hung_past_the_stops_limit_leaves_the_queue_counted_and_the_stop_returns_at_its_limit()
    {
        var consumer = new Consumer();
        consumer.Hold.Reset();
        var worker = new EventQueueWorker("test-worker", 64, consumer.TakeAll);
        long dropped = 0;
        worker.Post(Event(0), ref dropped);
        Assert.That(consumer.Entered.Wait(TimeSpan.FromSeconds(10)), Is.True);
        for (int i = 1; i <= 5; i++)
        {
            worker.Post(Event(i), ref dropped);
        }

        var clock = Stopwatch.StartNew();
        Assert.That(worker.Stop(TimeSpan.FromMilliseconds(200)), Is.EqualTo(5));
        Assert.That(clock.Elapsed, Is.InRange(TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5)), "bounded by its limit");
        Assert.That(worker.Running, Is.True, "the consumer keeps what it holds");
        consumer.Hold.Set();
        Assert.That(worker.Stop(TimeSpan.FromSeconds(10)), Is.Zero, "a second stop waits again");
        Assert.That(consumer.Numbers, Is.EqualTo(Enumerable.Range(0, 6)));
    }

    [Test]
    public void A_consumer_that_gives_up_ends_the_thread_and_the_stop_reports_what_it_left()
    {
        var giveUp = false;
        var taken = 0;
        var worker = new EventQueueWorker("test-worker", 64, queue =>
        {
            if (Volatile.Read(ref giveUp))
            {
                return EventQueueWorker.Turn.Finished;
            }

            while (queue.TryTake(out _))
            {
                taken++;
            }

            return EventQueueWorker.Turn.Idle;
        });
        long dropped = 0;
        worker.Post(Event(0), ref dropped);
        WaitFor(() => Volatile.Read(ref taken) == 1 && worker.Asleep); // the turn that took it has ended
        Volatile.Write(ref giveUp, true);
        for (int i = 1; i <= 3; i++)
        {
            worker.Post(Event(i), ref dropped);
        }

        Assert.That(worker.Stop(TimeSpan.FromSeconds(10)), Is.EqualTo(3));
        Assert.That(worker.Running, Is.False);
    }

    [Test]
    public void After_a_gathering_turn_posts_do_not_wake_the_thread_and_a_wake_ends_the_gathering_at_once()
    {
        var consumer = new Consumer { After = EventQueueWorker.Turn.Gather };
        var worker = new EventQueueWorker("test-worker", 64, consumer.TakeAll, gather: NeverByTimeout, idleWait: NeverByTimeout);
        long dropped = 0;
        worker.Post(Event(1), ref dropped);
        WaitFor(() => consumer.Count == 1);
        worker.Post(Event(2), ref dropped);
        Thread.Sleep(300);
        Assert.That((consumer.Count, worker.Asleep, worker.Depth), Is.EqualTo((1, false, 1)), "gathering, not asleep: the post did not signal");
        worker.Wake();
        WaitFor(() => consumer.Count == 2);
        Assert.That(worker.Stop(TimeSpan.FromSeconds(10)), Is.Zero, "the stop ends a gathering too");
    }

    /// <summary>Takes every queued event, in order, on the worker's thread; can be held in an event.</summary>
    private sealed class Consumer
    {
        private int _count;

        public List<int> Numbers { get; } = [];

        public int Count => Volatile.Read(ref _count);

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Hold { get; } = new(true);

        public TimeSpan Delay { get; init; }

        /// <summary>What a turn that took events returns.</summary>
        public EventQueueWorker.Turn After { get; init; } = EventQueueWorker.Turn.Again;

        public EventQueueWorker.Turn TakeAll(BoundedEventQueue queue)
        {
            var took = false;
            while (queue.TryTake(out var e))
            {
                took = true;
                Entered.Set();
                Hold.Wait(TimeSpan.FromSeconds(30));
                if (Delay > TimeSpan.Zero)
                {
                    Thread.Sleep(Delay);
                }

                Numbers.Add(((AlertEvent)e).Alert.Count);
                Interlocked.Increment(ref _count);
            }

            return took ? After : EventQueueWorker.Turn.Idle;
        }
    }
}
