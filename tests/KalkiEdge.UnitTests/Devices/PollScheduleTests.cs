using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.Devices.Simulators;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// The poll schedule when the appliance cannot keep up: devices that answer slower than their sampling interval, one
/// poll at a time. Every device still gets its turn (the longest-waiting first), none is starved by the devices that
/// happen to come first, and the sampling intervals skipped are counted and said in the log.
/// </summary>
public sealed class PollScheduleTests
{
    [Test]
    public void An_overloaded_schedule_polls_every_device_in_turn_and_counts_the_skipped_intervals()
    {
        var boards = Enumerable.Range(0, 4).Select(i => new JsonDeviceSimulator(() =>
        {
            Thread.Sleep(150); // slower than the 100 ms sampling interval: demand is 40 polls/s, capacity under 7
            return $$"""{"fw": "board-{{i}}"}""";
        })).ToList();
        try
        {
            using var h = new MonitorHarness(MonitorHarness.Board);
            var devices = boards.Select((b, i) => h.Add($"board{i}", "board", $"{{family: http-json, port: {b.Port}, fields: {{firmware: fw}}}}", samplingMicros: 100_000)).ToList();
            h.Start(new MonitorOptions { MaxConcurrentPolls = 1 });

            Assert.That(MonitorHarness.Eventually(() => devices.All(d => d.Polls >= 3), 60), Is.True,
                "every device is polled again and again, late: " + string.Join(", ", devices.Select(d => $"{d.Name} {d.Polls}")) + "\n" + string.Join("\n", h.LogLines()));
            Assert.That(MonitorHarness.Eventually(() => h.Monitors.SkippedSamples > 0 && h.LogLines().Any(l => l.Contains("device monitors: behind schedule:", StringComparison.Ordinal)), 30), Is.True,
                string.Join("\n", h.LogLines()));
            Assert.That(devices.Select(d => h.Controller.Latest(d.Name, "firmware")), Is.EqualTo(Enumerable.Range(0, 4).Select(i => (EvValue?)EvValue.Of($"board-{i}"))),
                "each device's own reading reached the control plane");
        }
        finally
        {
            boards.ForEach(b => b.Dispose());
        }
    }

    [Test]
    public void Devices_that_answer_within_their_interval_are_not_counted_as_late()
    {
        using var board = new JsonDeviceSimulator(() => """{"fw": "1"}""");
        using var h = new MonitorHarness(MonitorHarness.Board);
        var device = h.Add("board", "board", $"{{family: http-json, port: {board.Port}, fields: {{firmware: fw}}}}", samplingMicros: 500_000);
        h.Start();

        Assert.That(MonitorHarness.Eventually(() => device.Polls >= 6, 60), Is.True, string.Join("\n", h.LogLines()));
        // A poll counts as late only a whole interval after it was due: a busy test machine may stall one, never most.
        Assert.That(h.Monitors.SkippedSamples, Is.LessThan(device.Polls / 2), string.Join("\n", h.LogLines()));
    }
}
