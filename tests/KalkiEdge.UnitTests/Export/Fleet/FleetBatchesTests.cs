using System.Text;
using KalkiEdge.Export.Fleet;
using KalkiEdge.Store;

namespace KalkiEdge.UnitTests.Export.Fleet;

/// <summary>How outbox rows become MQTT messages: consecutive EVE lines of one topic together, nothing reordered or mixed.</summary>
public class FleetBatchesTests
{
    private static readonly FleetTopics Topics = new("fleet", "gw-a");

    [Test]
    public void Consecutive_lines_of_one_eve_topic_share_a_message_and_topics_never_mix_or_reorder()
    {
        var rows = Rows(
            (Topics.Alerts, "{\"n\":1}\n"), (Topics.Alerts, "{\"n\":2}\n"), (Topics.Transitions, "{\"n\":3}\n"),
            (Topics.Telemetry, "{\"n\":4}"), (Topics.Telemetry, "{\"n\":5}"), (Topics.Alerts, "{\"n\":6}\n"));
        var batches = FleetBatches.Group(rows, Topics);
        Assert.That(batches.Select(b => (b.Topic, b.Rows)), Is.EqualTo(new[]
        {
            (Topics.Alerts, 2), (Topics.Transitions, 1), (Topics.Telemetry, 1), (Topics.Telemetry, 1), (Topics.Alerts, 1),
        }));
        Assert.That(batches.Select(b => Encoding.UTF8.GetString(FleetBatches.Payload(b, rows))), Is.EqualTo(new[]
        {
            "{\"n\":1}\n{\"n\":2}\n", "{\"n\":3}\n", "{\"n\":4}", "{\"n\":5}", "{\"n\":6}\n",
        }), "EVE messages are newline-ended JSON lines; a telemetry summary stays one JSON document");
    }

    [Test]
    public void A_row_queued_without_its_newline_gets_exactly_one()
    {
        var rows = Rows((Topics.Alerts, "{\"old\":1}"), (Topics.Alerts, "{\"new\":2}\n"), (Topics.Pairing, "{\"old\":3}"));
        var batches = FleetBatches.Group(rows, Topics);
        Assert.That(batches.Select(b => Encoding.UTF8.GetString(FleetBatches.Payload(b, rows))), Is.EqualTo(new[] { "{\"old\":1}\n{\"new\":2}\n", "{\"old\":3}\n" }));
        Assert.That(batches.Select(b => b.Bytes), Is.EqualTo(batches.Select(b => FleetBatches.Payload(b, rows).Length)));
    }

    [Test]
    public void A_batch_stops_at_its_line_and_byte_limits_and_a_line_larger_than_the_limit_travels_alone()
    {
        var small = Rows([.. Enumerable.Range(0, FleetBatches.MaxLines * 2 + 1).Select(i => (Topics.Alerts, $"{{\"n\":{i}}}\n"))]);
        Assert.That(FleetBatches.Group(small, Topics).Select(b => b.Rows), Is.EqualTo(new[] { FleetBatches.MaxLines, FleetBatches.MaxLines, 1 }));

        var line = new string('x', 1000) + "\n";
        var big = Rows([(Topics.Alerts, new string('y', FleetBatches.MaxBytes + 10) + "\n"), .. Enumerable.Range(0, 40).Select(_ => (Topics.Alerts, line))]);
        var batches = FleetBatches.Group(big, Topics);
        Assert.That(batches[0].Rows, Is.EqualTo(1), "an oversized line is its own message");
        Assert.That(batches.Skip(1).Select(b => b.Bytes), Has.All.LessThanOrEqualTo(FleetBatches.MaxBytes));
        Assert.That(batches.Sum(b => b.Rows), Is.EqualTo(41));
    }

    [Test]
    public void Rows_that_hold_several_lines_count_every_line_against_the_limit()
    {
        var rows = Rows(
            (Topics.Alerts, string.Concat(Enumerable.Range(0, 200).Select(i => $"{{\"n\":{i}}}\n"))),
            (Topics.Alerts, string.Concat(Enumerable.Range(200, 100).Select(i => $"{{\"n\":{i}}}\n"))),
            (Topics.Alerts, "{\"n\":300}\n"));
        var batches = FleetBatches.Group(rows, Topics);
        Assert.That(batches.Select(b => (b.Rows, b.Events)), Is.EqualTo(new[] { (1, 200), (2, 101) }), "200 + 100 lines would pass the 256-line limit");
        Assert.That(batches.Sum(b => FleetBatches.Payload(b, rows).AsSpan().Count((byte)'\n')), Is.EqualTo(301));
    }

    private static List<OutboxMessage> Rows(params (string Topic, string Payload)[] rows) =>
        [.. rows.Select((r, i) => new OutboxMessage(i + 1, r.Topic, Encoding.UTF8.GetBytes(r.Payload)))];
}
