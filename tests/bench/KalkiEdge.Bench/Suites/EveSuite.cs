using System.Diagnostics;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Engine frame rate under an alert storm with the EVE file sink on vs off (same run, interleaved, medians): the
/// replay path (engine, then the control plane drains and reports each frame's alerts), where one frame in
/// <see cref="AlertEvery"/> is a TCP NULL scan that the IPS alerts on (cap lifted, so every one alerts).
/// Target: with EVE on, ≥ 0.9× the frame rate with it off. Also reports what the writer dropped.
/// </summary>
public sealed class EveSuite : IBenchSuite
{
    private const int Devices = 100;
    private const int Repetitions = 5;
    internal const int AlertEvery = 50;
    private const string Chain = "ips(rules: xmas-scan.rules, alert-cap: 1000000)";

    public string Name => "eve";

    public string Description => "engine frame rate under an alert storm, EVE file sink on vs off (same run)";

    public void Run(SuiteReport report)
    {
        int frames = EngineThroughputSuite.Frames;
        var mix = TrafficMix.Build(Devices, frames);
        var scans = Scans(mix);
        var dir = Directory.CreateTempSubdirectory("kalki-bench-eve-");
        try
        {
            var off = new NullObserver();
            var offAppliance = EngineThroughputSuite.Build(mix, Chain, off);
            var file = new SwappableSink();
            var hub = new EventHub().Add(file);
            var onAppliance = EngineThroughputSuite.Build(mix, Chain, hub);
            hub.Bind(onAppliance.Control.Devices, onAppliance.Engine.Devices);
            var times = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
            var hubOnly = new List<double>();
            long written = 0, dropped = 0, alerts = 0;
            double drainSeconds = 0;
            for (int rep = 0; rep < Repetitions; rep++)
            {
                times[false].Add(Play(offAppliance, mix, scans));
                hubOnly.Add(Play(onAppliance, mix, scans)); // events made and published, no sink behind the hub
                var path = Path.Combine(dir.FullName, $"eve-{rep}.json");
                using var sink = new EveFileSink(new EveFileOptions(path) { RotateBytes = 0 });
                file.Target = sink;
                times[true].Add(Play(onAppliance, mix, scans));
                var drain = Stopwatch.StartNew();
                sink.Dispose(); // everything queued is written before the figures are read
                drainSeconds = drain.Elapsed.TotalSeconds;
                (written, dropped) = (sink.Counters.Written, sink.Counters.Dropped);
                alerts = off.Alerts / (rep + 1);
                file.Target = null;
                File.Delete(path);
            }

            var offFps = frames / Measure.Median(times[false]);
            var onFps = frames / Measure.Median(times[true]);
            var note = $"{Devices} devices, 1 frame in {AlertEvery} alerts, {frames:N0} frames, median of {Repetitions}";
            report.Add("eve off: engine + control plane", offFps, "frames/s", note);
            report.Add("eve off: alert rate", offFps / AlertEvery, "alerts/s", $"{alerts:N0} alerts per run");
            report.Add("hub only: events made, no sink", frames / Measure.Median(hubOnly), "frames/s", "the share of the cost that is the event model, not the file");
            report.Add("eve on: engine + control plane + EVE file", onFps, "frames/s", $"last run: {written:N0} lines written, {dropped:N0} dropped (queue full), writer finished {drainSeconds * 1000:F0} ms after the last frame");
            var ratio = onFps / offFps;
            report.Add("ratio eve on / off", ratio, "x", $"target >= 0.9: {(ratio >= 0.9 ? "met" : "NOT met")}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Each repetition writes a new file: the hub's sink forwards to the current one.</summary>
    internal sealed class SwappableSink : IEventSink
    {
        public EveFileSink? Target { get; set; }

        public void Publish(ApplianceEvent e) => Target?.Publish(e);
    }

    /// <summary>One TCP NULL scan per device, which the IPS alerts on.</summary>
    internal static byte[][] Scans(TrafficMix mix) =>
        [.. mix.Devices.Select((d, i) => PacketFactory.Tcp(TrafficMix.Cloud(i % 4), d, 40000, (ushort)(1 + i), syn: false, ack: false, fin: false, 1, 0, []))];

    /// <summary>The replay runner's loop: frame in, alerts evaluated (and reported) after it; one frame in <paramref name="alertEvery"/> a scan (0: none).</summary>
    internal static double Play(EdgeAppliance appliance, TrafficMix mix, byte[][] scans, int alertEvery = AlertEvery)
    {
        var engine = appliance.Engine;
        var context = appliance.CreateContext();
        var frame = new Frame();
        long t = 1_767_225_600_000_000;
        var sw = Stopwatch.StartNew();
        for (int n = 0; n < mix.Order.Length; n++)
        {
            var bytes = alertEvery > 0 && n % alertEvery == 0 ? scans[(n / alertEvery) % scans.Length] : mix.Templates[mix.Order[n]];
            frame.Load(bytes, t++, Direction.FromDevice);
            frame.Direction = engine.InferDirection(frame);
            appliance.BeginFrame(frame.TimestampMicros);
            engine.Process(frame, context);
            appliance.EndFrame();
        }

        return sw.Elapsed.TotalSeconds;
    }
}
