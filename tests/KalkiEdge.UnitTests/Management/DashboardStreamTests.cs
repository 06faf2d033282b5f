using System.Diagnostics;
using System.Text;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.Export.Events;
using KalkiEdge.Management.Api;
using KalkiEdge.Management.Live;
using Microsoft.Extensions.Time.Testing;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// The live stream between the event hub and its clients (read straight from their queues, as the SSE endpoint
/// does): an alert storm reaches every client as its first alert plus one flood event per window, encoded once
/// and shared, with the state change in it in order and never folded; a storm that outruns the inbox is counted,
/// never silently lost, and the transitions in it still arrive.
/// </summary>
public class DashboardStreamTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task A_storm_reaches_every_client_as_its_first_alert_and_one_flood_event_with_the_transition_in_order()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero));
        var window = TimeSpan.FromSeconds(10);
        using var stream = new DashboardStream(time, window);
        var clients = new[] { stream.Subscribe(), stream.Subscribe(), stream.Subscribe() };
        var seen = clients.Select(_ => new List<(string Name, JsonElement Data)>()).ToArray();
        var chunks = clients.Select(_ => new List<byte[]>()).ToArray();

        const int Storm = 3000; // under the inbox's capacity: nothing is shed however slow the pump
        for (int i = 0; i < Storm; i++)
        {
            stream.Publish(new AlertEvent(new Alert(AlertTypes.PortScan, "cam", AlertSource.Umbox, 1_000 + i, $"scan {i}"), DeviceContext.Unknown));
            if (i == Storm / 2)
            {
                stream.Publish(StreamEvent.Transition, new TransitionEventInfo("cam", "Normal", "Suspicious", "scan-rule", 40, 2_000));
            }
        }

        // The pump pauses a moment after each busy round: let the fake clock pass those pauses, far inside the window.
        await Until(() => ReadAll(clients, seen, chunks) && seen[0].Count >= 2 && stream.Queued == 0, () => time.Advance(DashboardStream.Gather));
        Assert.That(seen[0].Select(e => e.Name), Is.EqualTo(new[] { "alert", "transition" }), "the first alert at once, the state change in order, the repeats folded");
        Assert.That(seen[0][0].Data.GetProperty("info").GetString(), Is.EqualTo("scan 0"));

        time.Advance(window);
        await Until(() => ReadAll(clients, seen, chunks) && seen[0].Count >= 3, () => { });
        var flood = seen[0][2];
        Assert.That(flood.Name, Is.EqualTo("alert"));
        Assert.That(flood.Data.GetProperty("flood").GetInt32(), Is.EqualTo(Storm - 1));
        Assert.That(flood.Data.GetProperty("count").GetInt32(), Is.EqualTo(Storm - 1));
        Assert.That(flood.Data.GetProperty("since").GetInt64(), Is.EqualTo(1_001));
        Assert.That(flood.Data.GetProperty("info").GetString(), Is.EqualTo($"scan {Storm - 1}"));
        Assert.That(stream.FoldedAlerts, Is.EqualTo(Storm - 1));

        foreach (var other in seen.Skip(1))
        {
            Assert.That(other.Select(e => e.Data.GetRawText()), Is.EqualTo(seen[0].Select(e => e.Data.GetRawText())), "every client gets the same events");
        }

        for (int i = 1; i < clients.Length; i++)
        {
            Assert.That(chunks[i].Zip(chunks[0]).All(p => ReferenceEquals(p.First, p.Second)), "encoded once, the same chunks shared by every client");
        }

        // Quiet for a window: the pair is forgotten, and its next alert goes out at once again.
        time.Advance(window);
        await Until(() => stream.CoalescedPairs == 0, () => { });
        stream.Publish(new AlertEvent(new Alert(AlertTypes.PortScan, "cam", AlertSource.Umbox, 9_000, "after the storm"), DeviceContext.Unknown));
        await Until(() => ReadAll(clients, seen, chunks) && seen[0].Count >= 4, () => time.Advance(TimeSpan.FromMilliseconds(1)));
        Assert.That(seen[0][3].Data.GetProperty("info").GetString(), Is.EqualTo("after the storm"));
    }

    [Test]
    public async Task A_storm_beyond_the_inbox_is_counted_as_overflow_and_its_transitions_all_arrive()
    {
        using var stream = new DashboardStream(TimeProvider.System, TimeSpan.FromMilliseconds(50));
        var client = stream.Subscribe();
        var seen = new List<(string Name, JsonElement Data)>();
        var chunks = new List<byte[]>();
        const int Storm = 60_000, Devices = 50, Transitions = 100;
        for (int i = 0; i < Storm; i++)
        {
            stream.Publish(new AlertEvent(new Alert(AlertTypes.PortScan, $"dev{i % Devices}", AlertSource.Umbox, i, "x"), DeviceContext.Unknown));
            if (i % (Storm / Transitions) == 0)
            {
                stream.Publish(StreamEvent.Transition, new TransitionEventInfo($"dev{i % Devices}", "Normal", "Suspicious", $"rule-{i}", 1, i));
            }

            if (i % 1000 == 0)
            {
                ReadAll([client], [seen], [chunks]); // a reader that keeps up, as a browser does
            }
        }

        long Accounted() => seen.Where(e => e.Name == "alert").Sum(e => e.Data.TryGetProperty("flood", out var f) ? f.GetInt64() : 1)
            + seen.Where(e => e.Name == "overflow").Sum(e => e.Data.GetProperty("alerts").GetInt64());
        await Until(() => ReadAll([client], [seen], [chunks]) && Accounted() == Storm, () => { });
        Assert.That(seen.Where(e => e.Name == "transition").Select(e => e.Data.GetProperty("rule").GetString()),
            Is.EqualTo(Enumerable.Range(0, Transitions).Select(t => $"rule-{t * (Storm / Transitions)}")), "every transition, in order");
        Assert.That(stream.DroppedClients, Is.Zero);
    }

    private static async Task Until(Func<bool> done, Action step)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.That(clock.Elapsed, Is.LessThan(Bound), "the live stream did not deliver in time");
            step();
            await Task.Delay(10);
        }
    }

    /// <summary>Takes what each client has queued and parses it as SSE; always true (so it can lead a condition).</summary>
    private static bool ReadAll(EventClient[] clients, List<(string, JsonElement)>[] seen, List<byte[]>[] chunks)
    {
        for (int i = 0; i < clients.Length; i++)
        {
            while (clients[i].TryRead(out var chunk))
            {
                chunks[i].Add(chunk);
                foreach (var block in Encoding.UTF8.GetString(chunk).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
                {
                    var lines = block.Split('\n');
                    Assert.That(lines, Has.Length.EqualTo(2), block);
                    Assert.That(lines[0], Does.StartWith("event: "));
                    Assert.That(lines[1], Does.StartWith("data: "));
                    seen[i].Add((lines[0]["event: ".Length..], JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement));
                }
            }
        }

        return true;
    }
}
