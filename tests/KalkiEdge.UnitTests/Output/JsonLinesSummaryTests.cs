using System.Text;
using System.Text.Json;
using KalkiEdge.Appliance.Output;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.UnitTests.Output;

/// <summary>The closing summary line is streamed to the output in chunks; it must stay one valid JSON line.</summary>
public class JsonLinesSummaryTests
{
    [Test]
    public void A_summary_of_thousands_of_devices_is_one_complete_json_line()
    {
        const int count = 3_000;
        var engine = new PacketEngine(new DiscardAlerts());
        for (int i = 0; i < count; i++)
        {
            engine.Devices.Add(new DeviceSlot($"caméra-{i:D4}", 0x0200_0000_0000UL + (ulong)i + 1, []));
        }

        var output = new StringWriter();
        new JsonLinesObserver(output).Summary(new ReplayResult(10, 7, 2, 1, 0, TimeSpan.Zero), engine, d => d.Name.EndsWith('7') ? "Suspicious" : "Normal");

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), "the chunks form a single line");
        using var json = JsonDocument.Parse(lines[0]);
        Assert.That(json.RootElement.GetProperty("forwarded").GetInt64(), Is.EqualTo(7));
        var devices = json.RootElement.GetProperty("devices");
        Assert.That(devices.EnumerateObject().Count(), Is.EqualTo(count));
        Assert.That(devices.GetProperty("caméra-2997").GetProperty("state").GetString(), Is.EqualTo("Suspicious"));
        Assert.That(devices.EnumerateObject().Last().Name, Is.EqualTo("caméra-2999"), "still ordered by name");
    }

    [Test]
    public void Characters_split_between_writes_are_decoded_whole()
    {
        const string text = "añ€😀 plain ascii ü";
        var bytes = Encoding.UTF8.GetBytes(text);
        var output = new StringWriter();
        using (var stream = new TextWriterStream(output))
        {
            foreach (var b in bytes)
            {
                stream.Write([b]); // one byte at a time: every multi-byte character arrives in pieces
            }
        }

        Assert.That(output.ToString(), Is.EqualTo(text));
    }

    private sealed class DiscardAlerts : IAlertSink
    {
        public void Raise(Alert alert)
        {
        }
    }
}
