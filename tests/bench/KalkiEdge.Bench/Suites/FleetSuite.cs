using System.Diagnostics;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;
using KalkiEdge.Export.Fleet;
using KalkiEdge.Store;
using KalkiEdge.TestKit.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// The fleet's cost and behaviour against a real Mosquitto on loopback (TLS, client certificates, the tests' ACL),
/// the publisher writing its outbox into a real store file:
/// <list type="bullet">
/// <item>Engine frame rate under an alert storm of 10,000 alerts/s with the EVE file and MQTT publishing on vs off
/// (interleaved pairs, the median ratio and its spread; target ≥ 0.9×), the same ratio in the forwarding thread's
/// processor time, and how long after the last frame the broker had every alert.</item>
/// <item>Publish lag, alert handed to the publisher → received by a subscriber of the broker, at paced rates
/// (target p99 &lt; 50 ms on loopback).</item>
/// <item>A broker outage (<c>KALKI_BENCH_OUTAGE_SECONDS</c>, default 60) under a steady 1,000 alerts/s: the
/// outbox's growth on disk, then after the broker is back the time to reconnect and to deliver the backlog, and
/// that nothing was lost, duplicated or reordered.</item>
/// </list>
/// <c>KALKI_BENCH_FLEET_PARTS</c> (e.g. <c>lag</c> or <c>throughput,outage</c>) runs some parts only;
/// <c>KALKI_BENCH_FRAMES</c> sets the frames of each throughput run. The lag parts also report where the publisher's
/// thread spent its time, step by step (<see cref="FleetTimings"/>).
/// </summary>
public sealed class FleetSuite : IBenchSuite
{
    private const int Devices = 100;
    private const int Pairs = 9;

    /// <summary>Runs before the pairs: as many to let the JIT settle, then as many whose median sets the storm's density.</summary>
    private const int WarmUps = 3;

    /// <summary>The issue's alert storm: alerts per second with publishing off.</summary>
    private const int StormRate = 10_000;
    private const string Chain = "ips(rules: xmas-scan.rules, alert-cap: 1000000)";
    private const string AlertTopic = "fleet/gw-a/alerts";
    private const int OutageRate = 1_000;

    public string Name => "fleet";

    public string Description => "EVE file + MQTT publishing on vs off under an alert storm; publish lag; a broker outage and the outbox's replay (real Mosquitto)";

    public IReadOnlyList<Prerequisite> Requires => [Prerequisite.Command("mosquitto", "mosquitto")];

    /// <summary>Which parts run (KALKI_BENCH_FLEET_PARTS, comma-separated; default all three).</summary>
    private static string Parts => Environment.GetEnvironmentVariable("KALKI_BENCH_FLEET_PARTS") ?? "throughput,lag,outage";

    private static int OutageSeconds => int.TryParse(Environment.GetEnvironmentVariable("KALKI_BENCH_OUTAGE_SECONDS"), out var s) && s > 0 ? s : 60;

    public void Run(SuiteReport report)
    {
        using var dir = new TempDir("kalki-bench-fleet-");
        using var pki = new TestPki(dir.Path);
        using var broker = new MosquittoBroker(dir.Path, pki, MosquittoBroker.FleetAcl);
        var store = dir.File("kalki-edge.db");
        KalkiStore.Open(store).Dispose(); // migrated: the outbox table exists
        var (cert, key) = pki.Client("gw-a");
        var settings = new FleetSettings("127.0.0.1", broker.Port, "gw-a") { TopicRoot = "fleet", CaFile = pki.CaFile, CertificateFile = cert, KeyFile = key };
        if (Parts.Contains("throughput", StringComparison.Ordinal))
        {
            using var publisher = Connected(settings, store);
            Throughput(report, dir, publisher);
        }

        if (Parts.Contains("lag", StringComparison.Ordinal))
        {
            foreach (var (rate, seconds) in new[] { (1_000, 3), (10_000, 3) })
            {
                using var publisher = Connected(settings, store);
                Lag(report, broker, pki, publisher, rate, seconds);
            }
        }

        if (Parts.Contains("outage", StringComparison.Ordinal))
        {
            using var publisher = Connected(settings, store);
            Outage(report, broker, pki, publisher, store);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private static FleetPublisher Connected(FleetSettings settings, string store)
    {
        var publisher = new FleetPublisher(settings, FleetOutbox.Open(store, settings.QueueLimit), new NoOperations(), NullLogger.Instance);
        WaitUntil(() => publisher.Connected, TimeSpan.FromSeconds(30), "the publisher did not connect to the broker");
        return publisher;
    }

    /// <summary>
    /// The engine's frame rate with the EVE file and MQTT publishing off, then on, in <see cref="Pairs"/> interleaved
    /// pairs (the side that goes first alternates, the heap is collected before each run, and every alert of an
    /// "on" run is acknowledged by the broker before the next run starts), so the load of a shared machine falls on
    /// both sides alike. The storm's density is set once from a warm-up run with publishing off: one frame in N is a
    /// scan, N such that the engine raises <see cref="StormRate"/> alerts/s. Reported: the median of the pairs' wall
    /// clock ratios and their spread (the target's figure), the same for the forwarding thread's processor time
    /// (what publishing adds to enforcement, whatever else the machine runs), and the whole process's processor
    /// time per alert that the sinks' threads cost.
    /// </summary>
    private static void Throughput(SuiteReport report, TempDir dir, FleetPublisher publisher)
    {
        int frames = EngineThroughputSuite.Frames;
        var mix = TrafficMix.Build(Devices, frames);
        var scans = EveSuite.Scans(mix);
        var off = new NullObserver();
        var offAppliance = EngineThroughputSuite.Build(mix, Chain, off);
        var eve = new EveSuite.SwappableSink();
        var hub = new EventHub().Add(eve).Add(publisher);
        var onAppliance = EngineThroughputSuite.Build(mix, Chain, hub);
        hub.Bind(onAppliance.Control.Devices, onAppliance.Engine.Devices);

        for (int i = 0; i < WarmUps; i++)
        {
            EveSuite.Play(offAppliance, mix, scans); // the JIT's tiers settle
        }

        var warm = new List<double>();
        for (int i = 0; i < WarmUps; i++)
        {
            warm.Add(EveSuite.Play(offAppliance, mix, scans));
        }

        int alertEvery = Math.Max(1, (int)Math.Round(frames / Measure.Median(warm) / StormRate));
        long alerts = 0;
        Timing Off()
        {
            long before = off.Alerts;
            var run = Timed(() => EveSuite.Play(offAppliance, mix, scans, alertEvery), () => { });
            alerts = off.Alerts - before;
            return run;
        }

        Timing On(int rep)
        {
            using var file = new EveFileSink(new EveFileOptions(dir.File($"eve-{rep}.json")) { RotateBytes = 0 });
            eve.Target = file;
            long before = Interlocked.Read(ref publisher.Counters.Published) + Interlocked.Read(ref publisher.Counters.Dropped);
            var run = Timed(
                () => EveSuite.Play(onAppliance, mix, scans, alertEvery),
                () => WaitUntil(() => Interlocked.Read(ref publisher.Counters.Published) + Interlocked.Read(ref publisher.Counters.Dropped) - before >= alerts, TimeSpan.FromMinutes(5), "the broker did not get every alert"));
            eve.Target = null;
            return run;
        }

        var pairs = new List<(Timing Off, Timing On)>();
        for (int rep = 0; rep < Pairs; rep++)
        {
            if (rep % 2 == 0)
            {
                var o = Off();
                pairs.Add((o, On(rep)));
            }
            else
            {
                var o = On(rep);
                pairs.Add((Off(), o));
            }

            File.Delete(dir.File($"eve-{rep}.json"));
        }

        var offFps = frames / Measure.Median([.. pairs.Select(p => p.Off.Wall)]);
        var onFps = frames / Measure.Median([.. pairs.Select(p => p.On.Wall)]);
        var alertRate = alerts / Measure.Median([.. pairs.Select(p => p.Off.Wall)]);
        report.Add("off: engine + control plane", offFps, "frames/s", $"{Devices} devices, 1 frame in {alertEvery} alerts: {alertRate:N0} alerts/s (storm set to {StormRate:N0}/s by warm-up runs), {frames:N0} frames, median of {Pairs}");
        report.Add("on: + EVE file + MQTT publishing", onFps, "frames/s", $"{alerts:N0} alerts per run, {publisher.Counters.Dropped:N0} dropped in all runs (queue full)");
        var wall = Spread([.. pairs.Select(p => p.Off.Wall / p.On.Wall)]);
        report.Add("ratio on / off (wall clock)", wall.Median, "x", $"median of {Pairs} interleaved pairs, spread {wall.Min:F2}-{wall.Max:F2}; target >= 0.9: {(wall.Median >= 0.9 ? "met" : "NOT met")}");
        var engine = Spread([.. pairs.Select(p => p.Off.Engine / p.On.Engine)]);
        report.Add("ratio on / off (forwarding thread's processor time)", engine.Median, "x", $"median of {Pairs} pairs, spread {engine.Min:F2}-{engine.Max:F2}: what publishing adds to enforcement itself");
        var sinks = Measure.Median([.. pairs.Select(p => (p.On.Process - p.Off.Process) / alerts * 1e6)]);
        report.Add("processor time of EVE + MQTT per alert", sinks, "us", "whole process, on minus off, until the broker acknowledged every alert (the sinks' own threads: JSON, file, TLS, MQTT)");
        var drain = Measure.Median([.. pairs.Select(p => p.On.After)]);
        report.Add("last frame -> broker has every alert", drain * 1000, "ms", $"median of {Pairs}: the publisher's backlog after the storm");
        report.Add("alerts acknowledged by the broker per second while draining", alerts / drain, "alerts/s", $"QoS 1, up to {FleetBatches.MaxLines} EVE lines per message, 16 messages awaiting acknowledgement; {publisher.Counters.Published / (double)Math.Max(1, publisher.Counters.Messages):N1} alerts per message on average");
    }

    /// <summary>One timed run: its wall-clock seconds, the calling (forwarding) thread's processor seconds, the whole process's processor seconds until <c>after</c> returned, and the wall-clock seconds <c>after</c> took.</summary>
    private readonly record struct Timing(double Wall, double Engine, double Process, double After);

    private static Timing Timed(Func<double> play, Action after)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        double thread = CpuTime.Thread(), process = CpuTime.Process();
        var wall = play();
        var engine = CpuTime.Thread() - thread;
        var clock = Stopwatch.StartNew();
        after();
        return new Timing(wall, engine, CpuTime.Process() - process, clock.Elapsed.TotalSeconds);
    }

    private static (double Median, double Min, double Max) Spread(List<double> values) => (Measure.Median(values), values.Min(), values.Max());

    /// <summary>Alerts handed to the publisher at <paramref name="rate"/> per second; each one's time to a subscriber.</summary>
    private static void Lag(SuiteReport report, MosquittoBroker broker, TestPki pki, FleetPublisher publisher, int rate, int seconds)
    {
        using var watcher = MqttWatcher.Connect(broker, pki, "watcher", AlertTopic);
        int total = rate * seconds;
        var sent = Pace(publisher, rate, total, first: 0);
        var delivered = watcher.WaitFor(m => m.Sum(x => x.LineCount) >= total, TimeSpan.FromMinutes(2));
        var lags = new List<double>();
        foreach (var m in watcher.Received)
        {
            foreach (var n in Sequence(m))
            {
                if (n >= 0 && n < total)
                {
                    lags.Add(Stopwatch.GetElapsedTime(sent[n], m.At).TotalMilliseconds);
                }
            }
        }

        var note = $"{total:N0} alerts at {rate:N0}/s in {watcher.Received.Count:N0} messages{(delivered ? "" : $", only {lags.Count:N0} arrived within 2 min")}";
        report.Add($"publish lag p50 at {rate:N0} alerts/s", Measure.Percentile(lags, 50), "ms", note);
        report.Add($"publish lag p99 at {rate:N0} alerts/s", Measure.Percentile(lags, 99), "ms", $"target < 50 ms: {(Measure.Percentile(lags, 99) < 50 ? "met" : "NOT met")}");
        report.Add($"publish lag max at {rate:N0} alerts/s", Measure.Percentile(lags, 100), "ms", $"p90 {Measure.Percentile(lags, 90):F1} ms");
        Steps(report, $"at {rate:N0}/s", publisher);
    }

    private static void Outage(SuiteReport report, MosquittoBroker broker, TestPki pki, FleetPublisher publisher, string store)
    {
        int seconds = OutageSeconds;
        int total = OutageRate * seconds;
        broker.Stop();
        WaitUntil(() => !publisher.Connected, TimeSpan.FromSeconds(30), "the publisher did not notice the broker's death");
        long droppedBefore = Interlocked.Read(ref publisher.Counters.Dropped);
        Pace(publisher, OutageRate, total, first: 1_000_000);
        WaitUntil(() => publisher.Queued >= total, TimeSpan.FromSeconds(30), "the outage's alerts did not all reach the outbox");
        var bytes = new[] { "", "-wal" }.Select(s => new FileInfo(store + s)).Where(f => f.Exists).Sum(f => f.Length);
        report.Add($"outbox after a {seconds} s outage at {OutageRate:N0} alerts/s", publisher.Queued, "events", $"growth {publisher.Queued / (double)seconds:N0} events/s; {publisher.Counters.Dropped - droppedBefore:N0} dropped");
        report.Add("store file with the backlog", bytes / 1e6, "MB", "database and its write-ahead log");

        var back = Stopwatch.StartNew();
        broker.Start();
        using var watcher = MqttWatcher.Connect(broker, pki, "watcher", AlertTopic); // before the publisher's next attempt (its back-off is seconds by now)
        WaitUntil(() => publisher.Connected, TimeSpan.FromSeconds(60), "the publisher did not reconnect");
        var reconnect = back.Elapsed;
        var delivered = watcher.WaitFor(m => m.Sum(x => x.LineCount) >= total, TimeSpan.FromMinutes(10));
        var drain = back.Elapsed - reconnect;
        var sequence = watcher.Received.SelectMany(Sequence).ToList();
        var distinct = sequence.Distinct().Count();
        var reordered = sequence.Zip(sequence.Skip(1)).Count(p => p.Second < p.First);
        report.Add("broker back -> publisher reconnected", reconnect.TotalSeconds, "s", "reconnect back-off (doubling to 30 s)");
        report.Add("reconnected -> backlog delivered", drain.TotalSeconds, "s", $"{sequence.Count / Math.Max(drain.TotalSeconds, 1e-6):N0} alerts/s in {watcher.Received.Count:N0} messages{(delivered ? "" : ", NOT all within 10 min")}");
        report.Add("outage alerts lost", total - distinct, "alerts", $"{total:N0} sent, {distinct:N0} distinct received");
        report.Add("outage alerts duplicated", sequence.Count - distinct, "alerts", "QoS 1 may repeat; none expected here");
        report.Add("outage alerts out of order", reordered, "pairs", "a later alert received before an earlier one");
        Steps(report, "in the outage and replay", publisher);
    }

    /// <summary>Where the publisher's thread spent its time: each step that ran, its mean and longest run.</summary>
    private static void Steps(SuiteReport report, string when, FleetPublisher publisher)
    {
        foreach (var step in publisher.Timings.Steps.Where(s => s.Count > 0))
        {
            report.Add($"  publisher {when}: {step.Name}", step.Total.TotalMilliseconds / step.Count, "ms/run", $"{step.Count:N0} runs, longest {step.Longest.TotalMilliseconds:F1} ms, {step.Items:N0} items in all");
        }
    }

    /// <summary>Hands <paramref name="total"/> alerts to the publisher at <paramref name="rate"/> per second; their Stopwatch timestamps by sequence.</summary>
    private static long[] Pace(FleetPublisher publisher, int rate, int total, int first)
    {
        var sent = new long[total];
        var clock = Stopwatch.StartNew();
        for (int n = 0; n < total;)
        {
            var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
            for (; n < due; n++)
            {
                sent[n] = Stopwatch.GetTimestamp();
                publisher.Publish(Alert(first + n));
            }

            Thread.Sleep(1);
        }

        return sent;
    }

    /// <summary>An alert whose count field carries its sequence number.</summary>
    private static AlertEvent Alert(int n) =>
        new(new Alert(AlertTypes.PortScan, "cam", AlertSource.Umbox, TrafficMix.Start + n, "scan") { Count = n }, new DeviceContext("dlink-camera", "Suspicious", "camera-suspicious"));

    /// <summary>The sequence numbers of the alerts a message carries, one per EVE line (lag alerts from 0, outage alerts from 1,000,000), -1 for one without.</summary>
    private static IEnumerable<int> Sequence(ReceivedMessage m) =>
        EveMessages.Lines(m).Select(e => e.TryGetProperty("kalki", out var k) && k.TryGetProperty("count", out var c) ? c.GetInt32() % 1_000_000 : -1);

    private static void WaitUntil(Func<bool> condition, TimeSpan limit, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"{failure} within {limit.TotalSeconds:0} s");
            }

            Thread.Sleep(5);
        }
    }

    /// <summary>The bench's appliance has no devices to list and takes no commands (no operators are configured).</summary>
    private sealed class NoOperations : IFleetOperations
    {
        public IReadOnlyList<FleetDevice> Devices() => [];

        public string? Reset(string device, string actor, string? reason) => "the benchmark takes no commands";

        public string? OpenPairing(string actor) => "the benchmark takes no commands";

        public void Audit(string actor, string action, string detail)
        {
        }
    }
}
