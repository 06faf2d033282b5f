using System.Diagnostics;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Appliance.Packs;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.Devices.Simulators;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Kinetic protection at scale: WeMo plug simulators (real SOAP over loopback HTTP) polled every second by the device
/// monitors of one appliance while its engine runs the throughput mix. Reports the engine's frame rate with the
/// monitors polling against an identical appliance without them (same run, interleaved), the process's CPU and RSS
/// while polling, and the lag from a plug's reading leaving its range (the power reading that makes the pack's
/// power-spike condition true, timed when the plug serves it) to the alert and to the turn-off command reaching the plug.
/// </summary>
public sealed class KineticSuite : IBenchSuite
{
    private const long IdleMilliwatts = 100_000;
    private const long SpikeMilliwatts = 2_000_000;
    private const int SpikeReadings = 3; // the pack's condition: average of the last 3 power readings > 1500 W
    private const int SamplingMs = 1_000;

    public string Name => "kinetic";

    public string Description => "1,000 monitored devices polled every second: engine frames/s vs monitors off, CPU, RSS, reading-to-alert and -command lag";

    private static int Devices => int.TryParse(Environment.GetEnvironmentVariable("KALKI_BENCH_MONITORED"), out var n) ? n : 1_000;

    public void Run(SuiteReport report)
    {
        var dataDir = Directory.CreateTempSubdirectory("kalki-bench-kinetic-");
        var plugs = Enumerable.Range(0, Devices).Select(_ => new TimedPlug()).ToList();
        try
        {
            // The shipped pack polled every second (an edited pack in the data directory, as an operator would make it).
            Directory.CreateDirectory(EditedPacks.Directory(dataDir.FullName));
            var shipped = File.ReadAllText(Path.Combine(RepoPaths.Root, "umboxes", "packs", "wemo-insight.yaml"));
            File.WriteAllText(EditedPacks.FileFor(dataDir.FullName, "wemo-insight"), shipped.Replace("sampling: 5s", "sampling: 1s", StringComparison.Ordinal));
            var mix = TrafficMix.Build(Devices, EngineThroughputSuite.Frames);
            using var quiet = Build(mix, plugs, dataDir.FullName);
            using var polled = Build(mix, plugs, dataDir.FullName);
            using var monitors = MonitorWiring.Start(polled, null, _ => { }) ?? throw new InvalidOperationException("no monitors");
            Thread.Sleep(2 * SamplingMs); // every device polled at least once

            // Frames carry the wall clock, as live: the control clock the monitors schedule on moves on in real time
            // through every play (stamped one microsecond apart from a fixed start, it went back at each play, and the
            // monitors, waiting for it to pass their last poll, polled nothing while the engine ran).
            var skipped = monitors.Monitors.SkippedSamples;
            var off = new List<double>();
            var on = new List<double>();
            long onRequests = 0;
            double onSeconds = 0;
            for (int i = 0; i < 3; i++)
            {
                off.Add(EngineThroughputSuite.Frames / Measure.MedianSeconds(1, () => mix.Play(new FramePipeline(quiet), WallMicros)));
                var served = plugs.Sum(p => p.Simulator.Requests);
                var seconds = Measure.MedianSeconds(1, () => mix.Play(new FramePipeline(polled), WallMicros));
                onRequests += plugs.Sum(p => p.Simulator.Requests) - served;
                onSeconds += seconds;
                on.Add(EngineThroughputSuite.Frames / seconds);
            }

            report.Add($"engine, {Devices} devices, monitors off", Measure.Median(off), "frames/s");
            report.Add($"engine, {Devices} devices, monitors polling every 1s", Measure.Median(on), "frames/s");
            report.Add("engine frame rate, monitors on / off", Measure.Median(on) / Measure.Median(off), "ratio", "target >= 0.9");
            report.Add("device requests served while the engine ran (monitors on)", onRequests / onSeconds, "requests/s", $"2 per poll: {2 * Devices}/s when every device is polled on time");
            report.Add("sampling intervals skipped by late polls while the engine ran", monitors.Monitors.SkippedSamples - skipped, "", $"of about {Devices} per second");
            MeasureCost(report, plugs);
            MeasureLag(report, polled, monitors.Monitors, plugs);
        }
        finally
        {
            plugs.ForEach(p => p.Dispose());
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dataDir.Delete(recursive: true);
        }
    }

    private static long WallMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private static EdgeAppliance Build(TrafficMix mix, List<TimedPlug> plugs, string dataDir)
    {
        var config = EngineThroughputSuite.Config(mix, "", "wemo-insight");
        var devices = config.Devices.Select((d, i) => d with
        {
            Monitor = YamlArgs.Parse($"m: {{family: wemo-insight, address: 127.0.0.1, port: {plugs[i].Simulator.Port}}}", "bench", new DiagnosticBag())!.Entries.Single().Value,
        }).ToList();
        var site = new SiteConfig { File = config.File, UmboxesDir = config.UmboxesDir, NetworkBroadcastChain = config.NetworkBroadcastChain, Devices = devices, DataDir = dataDir };
        var diagnostics = new DiagnosticBag();
        return EdgeAppliance.Build(site, diagnostics, new NullObserver()) ?? throw new InvalidOperationException("bench configuration invalid:\n" + diagnostics);
    }

    /// <summary>CPU (share of one core) and RSS of the whole process over 10 s of polling with the engine idle.</summary>
    private static void MeasureCost(SuiteReport report, List<TimedPlug> plugs)
    {
        using var self = Process.GetCurrentProcess();
        var polls = plugs.Sum(p => p.Simulator.Requests);
        var cpu = self.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        Thread.Sleep(10_000);
        self.Refresh();
        var share = (self.TotalProcessorTime - cpu).TotalSeconds / wall.Elapsed.TotalSeconds;
        report.Add("process CPU while polling (engine idle; simulators in the same process)", share * 100, "% of one core");
        report.Add("process RSS while polling", self.WorkingSet64 / 1048576.0, "MB");
        report.Add("device requests served", (plugs.Sum(p => p.Simulator.Requests) - polls) / wall.Elapsed.TotalSeconds, "requests/s", "GetBinaryState + GetInsightParams per poll");
    }

    /// <summary>
    /// One plug after another draws 2 kW; the control loop reacts as live. A spike counts as missed when, within 15 s, the
    /// plug never served the reading that leaves the range (polls too late), no alert followed it, or no turn-off reached
    /// the plug; each miss is reported with its reason, beside the sampling intervals the monitors skipped and the polls
    /// that failed meanwhile, so a miss under load says whether readings were late, lost or not acted on.
    /// </summary>
    private static void MeasureLag(SuiteReport report, EdgeAppliance appliance, DeviceMonitors monitors, List<TimedPlug> plugs)
    {
        var alerted = new Dictionary<string, long>(StringComparer.Ordinal);
        appliance.Control.AlertEvaluated += a =>
        {
            if (a.Type == "power-spike")
            {
                lock (alerted)
                {
                    alerted.TryAdd(a.Device, Stopwatch.GetTimestamp());
                }
            }
        };
        appliance.Control.Start();
        var skippedBefore = monitors.SkippedSamples;
        var failedBefore = monitors.Devices.Sum(d => d.Failures);
        var toAlert = new List<double>();
        var toCommand = new List<double>();
        var samples = Math.Min(20, plugs.Count);
        var misses = new List<string>();
        for (int i = 0; i < samples; i++)
        {
            var plug = plugs[i * plugs.Count / samples];
            var name = appliance.Config.Devices[plugs.IndexOf(plug)].Name;
            var state = EdgeAppliance.StateOf(appliance.Engine.Devices.All.Single(d => d.Name == name));
            plug.Spike();
            var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 15;
            while (plug.TurnedOffAt == 0 && Stopwatch.GetTimestamp() < until)
            {
                Thread.Sleep(20);
            }

            long alertAt;
            lock (alerted)
            {
                alertAt = alerted.GetValueOrDefault(name);
            }

            if (plug.LeftRangeAt == 0 || alertAt == 0 || plug.TurnedOffAt == 0)
            {
                var why = plug.LeftRangeAt == 0 ? $"only {plug.HighReadings} of {SpikeReadings} high readings polled"
                    : alertAt == 0 ? "no power-spike alert"
                    : "no turn-off reached the plug";
                misses.Add($"{name} (was {state}): {why}");
                continue;
            }

            toAlert.Add(Stopwatch.GetElapsedTime(plug.LeftRangeAt, alertAt).TotalMilliseconds);
            toCommand.Add(Stopwatch.GetElapsedTime(plug.LeftRangeAt, plug.TurnedOffAt).TotalMilliseconds);
        }

        var target = $"target p99 < {SamplingMs + 50} ms (sampling interval + 50 ms); {toAlert.Count} of {samples} spikes";
        if (toAlert.Count > 0)
        {
            report.Add("lag reading out of range -> alert, p50", Measure.Percentile(toAlert, 50), "ms");
            report.Add("lag reading out of range -> alert, p99", Measure.Percentile(toAlert, 99), "ms", target);
            report.Add("lag reading out of range -> command at the plug, p50", Measure.Percentile(toCommand, 50), "ms");
            report.Add("lag reading out of range -> command at the plug, p99", Measure.Percentile(toCommand, 99), "ms", target);
        }

        report.Add("sampling intervals skipped by late polls (all devices, during the spikes)", monitors.SkippedSamples - skippedBefore, "", "0 when every device was polled on time");
        report.Add("polls failed (all devices, during the spikes)", monitors.Devices.Sum(d => d.Failures) - failedBefore, "");
        report.Add("spikes missed (no reading out of range, alert or command within 15 s)", misses.Count, "", $"target 0 of {samples}" + (misses.Count > 0 ? ": " + string.Join("; ", misses) : ""));
    }

    /// <summary>A plug simulator that notes when its power reading leaves its range and when it is switched off.</summary>
    private sealed class TimedPlug : IDisposable
    {
        private int _highReadings;

        public TimedPlug()
        {
            Simulator = new WemoSimulator(on: true, IdleMilliwatts);
            Simulator.Override = Observe;
        }

        public WemoSimulator Simulator { get; }

        /// <summary>When the plug served the reading that makes the pack's condition true (Stopwatch timestamp).</summary>
        public long LeftRangeAt { get; private set; }

        public long TurnedOffAt { get; private set; }

        /// <summary>Power readings of the spike the plug has served so far.</summary>
        public int HighReadings => Volatile.Read(ref _highReadings);

        public void Spike() => Simulator.LoadMilliwatts = SpikeMilliwatts;

        public void Dispose() => Simulator.Dispose();

        private SmallResponse? Observe(SmallRequest request)
        {
            var action = request.Headers.TryGetValue("SOAPACTION", out var a) ? a : "";
            if (action.Contains("GetInsightParams", StringComparison.Ordinal) && Simulator.LoadMilliwatts == SpikeMilliwatts && Interlocked.Increment(ref _highReadings) == SpikeReadings)
            {
                LeftRangeAt = Stopwatch.GetTimestamp();
            }
            else if (action.Contains("SetBinaryState", StringComparison.Ordinal) && request.Body.Contains("<BinaryState>0<", StringComparison.Ordinal) && TurnedOffAt == 0)
            {
                TurnedOffAt = Stopwatch.GetTimestamp();
            }

            return null; // the simulator answers as the plug
        }
    }
}
