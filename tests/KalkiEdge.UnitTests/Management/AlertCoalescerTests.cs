using KalkiEdge.Core;
using KalkiEdge.Management.Api;
using KalkiEdge.Management.Live;
using Microsoft.Extensions.Time.Testing;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// The live stream's alert coalescer on a fake clock: a lone alert goes out at once, repeats of one device and
/// alert type fold into one event per window carrying their count, a window with nothing folded forgets the pair,
/// pairs beyond the cap are counted into one overflow event, and nothing is ever lost from the counts.
/// </summary>
public class AlertCoalescerTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);
    private FakeTimeProvider _time = null!;
    private List<StreamEvent> _out = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero));
        _out = [];
    }

    [Test]
    public void A_lone_alert_goes_out_at_once_and_a_quiet_window_forgets_its_pair()
    {
        var c = new AlertCoalescer(_time, Window);
        var sent = c.Offer(Scan("cam", 1, "first"));
        Assert.That(sent, Is.Not.Null);
        Assert.That((sent!.Device, sent.Type, sent.Info, sent.Count, sent.Flood), Is.EqualTo(("cam", AlertTypes.PortScan, "first", (int?)1, (int?)null)));
        Assert.That(c.Keys, Is.EqualTo(1));
        Assert.That(c.UntilNextWindowEnds(), Is.EqualTo(Window));

        _time.Advance(Window - TimeSpan.FromMilliseconds(1));
        c.Flush(_out);
        Assert.That(_out, Is.Empty);
        Assert.That(c.UntilNextWindowEnds(), Is.EqualTo(TimeSpan.FromMilliseconds(1)));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        c.Flush(_out);
        Assert.That(_out, Is.Empty, "nothing was folded");
        Assert.That(c.Keys, Is.Zero);
        Assert.That(c.UntilNextWindowEnds(), Is.Null);
        Assert.That(c.Offer(Scan("cam", 2, "again")), Is.Not.Null, "a quiet pair's next alert goes out at once again");
    }

    [Test]
    public void Repeats_inside_the_window_fold_into_one_flood_event_with_their_count_and_the_window_restarts_while_they_go_on()
    {
        var c = new AlertCoalescer(_time, Window);
        Assert.That(c.Offer(Scan("cam", 100, "scan 0")), Is.Not.Null);
        for (int i = 1; i <= 1000; i++)
        {
            Assert.That(c.Offer(Scan("cam", 100 + i, $"scan {i}", count: 2)), Is.Null);
        }

        Assert.That(c.Folded, Is.EqualTo(1000));
        _time.Advance(Window);
        c.Flush(_out);
        var flood = Alert(_out.Single());
        Assert.That((flood.Device, flood.Type, flood.Flood, flood.Count, flood.Since, flood.Time, flood.Info),
            Is.EqualTo(("cam", AlertTypes.PortScan, (int?)1000, (int?)2000, (long?)101, 1100L, "scan 1000")));

        // The storm goes on: one event per window, never one per alert.
        _out.Clear();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(c.Offer(Scan("cam", 2000 + i, "more")), Is.Null, "the pair's window restarted when its flood went out");
        }

        _time.Advance(Window);
        c.Flush(_out);
        Assert.That(Alert(_out.Single()).Flood, Is.EqualTo(3));

        _out.Clear();
        _time.Advance(Window);
        c.Flush(_out);
        Assert.That(_out, Is.Empty);
        Assert.That(c.Keys, Is.Zero, "a window with nothing folded forgets the pair");
    }

    [Test]
    public void A_single_repeat_goes_out_as_itself_at_the_window_end()
    {
        var c = new AlertCoalescer(_time, Window);
        c.Offer(Scan("cam", 1, "one"));
        Assert.That(c.Offer(Scan("cam", 2, "two", count: 5)), Is.Null);
        _time.Advance(Window);
        c.Flush(_out);
        var a = Alert(_out.Single());
        Assert.That((a.Info, a.Count, a.Flood, a.Since), Is.EqualTo(("two", (int?)5, (int?)null, (long?)null)));
    }

    [Test]
    public void Pairs_are_per_device_and_alert_type()
    {
        var c = new AlertCoalescer(_time, Window);
        Assert.That(c.Offer(Scan("cam", 1, "a")), Is.Not.Null);
        Assert.That(c.Offer(Scan("plug", 1, "b")), Is.Not.Null, "another device");
        Assert.That(c.Offer(new Alert(AlertTypes.BruteForce, "cam", AlertSource.Umbox, 1, "c")), Is.Not.Null, "another type");
        Assert.That(c.Offer(Scan("cam", 2, "d")), Is.Null);
        Assert.That(c.Keys, Is.EqualTo(3));
    }

    [Test]
    public void Pairs_beyond_the_cap_are_counted_into_one_overflow_event_and_memory_stays_bounded()
    {
        var c = new AlertCoalescer(_time, Window, maxKeys: 8);
        int itemised = 0;
        for (int i = 0; i < 10_000; i++)
        {
            if (c.Offer(Scan($"dev{i}", i, "spread")) is not null)
            {
                itemised++;
            }

            Assert.That(c.Keys, Is.LessThanOrEqualTo(8));
        }

        c.Shed(5);
        Assert.That(itemised, Is.EqualTo(8));
        Assert.That(c.Overflowed, Is.EqualTo(10_000 - 8 + 5));

        _time.Advance(Window);
        c.Flush(_out);
        var overflow = (OverflowInfo)_out.Single(e => e.Name == StreamEvent.Overflow).Payload;
        Assert.That(overflow.Alerts, Is.EqualTo(10_000 - 8 + 5));
        Assert.That(overflow.Time - overflow.Since, Is.EqualTo((long)Window.TotalMicroseconds));
        Assert.That(c.Keys, Is.Zero, "the tracked pairs' quiet windows ended too");
        Assert.That(c.Offer(Scan("dev9999", 1, "room again")), Is.Not.Null, "once pairs are forgotten a new one is tracked again");
    }

    [Test]
    public void Every_alert_is_accounted_for_as_sent_folded_or_overflowed_across_many_windows()
    {
        var c = new AlertCoalescer(_time, Window, maxKeys: 16);
        var random = new Random(11);
        long offered = 0, accounted = 0;
        for (int step = 0; step < 2000; step++)
        {
            for (int n = random.Next(0, 40); n > 0; n--, offered++)
            {
                if (c.Offer(Scan($"dev{random.Next(24)}", step, "x")) is not null)
                {
                    accounted++;
                }
            }

            _time.Advance(TimeSpan.FromMilliseconds(random.Next(1, 120)));
            c.Flush(_out);
        }

        _time.Advance(Window);
        c.Flush(_out);
        foreach (var e in _out)
        {
            accounted += e.Payload is OverflowInfo o ? o.Alerts : Alert(e).Flood ?? 1;
        }

        Assert.That(accounted, Is.EqualTo(offered));
        Assert.That(c.Keys, Is.LessThanOrEqualTo(16));
    }

    [Test]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new AlertCoalescer(_time, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new AlertCoalescer(_time, Window, maxKeys: 0));
    }

    private static AlertInfo Alert(StreamEvent e)
    {
        Assert.That(e.Name, Is.EqualTo(StreamEvent.Alert));
        return (AlertInfo)e.Payload;
    }

    private static Alert Scan(string device, long time, string info, int count = 1) =>
        new(AlertTypes.PortScan, device, AlertSource.Umbox, time, info) { Count = count };
}
