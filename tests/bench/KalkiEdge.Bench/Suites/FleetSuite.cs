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
/// <item>Engine frame rate under the EVE suite's alert storm with the EVE file and MQTT publishing on vs off
/// (interleaved, medians; target ≥ 0.9×), and how long after the last frame the broker had every alert.</item>
/// <item>Publish lag, alert handed to the publisher → received by a subscriber of the broker, at paced rates
/// (target p99 &lt; 50 ms on loopback).</item>
/// <item>A broker outage (<c>KALKI_BENCH_OUTAGE_SECONDS</c>, default 60) under a steady 1,000 alerts/s: the
/// outbox's growth on disk, then after the broker is back the time to reconnect and to deliver the backlog, and
/// that nothing was lost, duplicated or reordered.</item>
/// </list>
/// </summary>
public sealed class FleetSuite : IBenchSuite
{
    private const int Devices = 100;
    private const int Repetitions = 5;
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
        var times = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        var drains = new List<double>();
        long alerts = 0;
        for (int rep = 0; rep < Repetitions; rep++)
        {
            times[false].Add(EveSuite.Play(offAppliance, mix, scans));
            alerts = off.Alerts / (rep + 1);
            using var file = new EveFileSink(new EveFileOptions(dir.File($"eve-{rep}.json")) { RotateBytes = 0 });
            eve.Target = file;
            long before = Interlocked.Read(ref publisher.Counters.Published) + Interlocked.Read(ref publisher.Counters.Dropped);
            times[true].Add(EveSuite.Play(onAppliance, mix, scans));
            var drain = Stopwatch.StartNew();
            // Every alert acknowledged by the broker (or counted dropped) before the next repetition starts.
            WaitUntil(() => Interlocked.Read(ref publisher.Counters.Published) + Interlocked.Read(ref publisher.Counters.Dropped) - before >= alerts, TimeSpan.FromMinutes(5), "the broker did not get every alert");
            drains.Add(drain.Elapsed.TotalSeconds);
            eve.Target = null;
        }

        var offFps = frames / Measure.Median(times[false]);
        var onFps = frames / Measure.Median(times[true]);
        report.Add("off: engine + control plane", offFps, "frames/s", $"{Devices} devices, 1 frame in {EveSuite.AlertEvery} alerts ({offFps / EveSuite.AlertEvery:N0} alerts/s), {frames:N0} frames, median of {Repetitions}");
        report.Add("on: + EVE file + MQTT publishing", onFps, "frames/s", $"{alerts:N0} alerts per run, {publisher.Counters.Dropped:N0} dropped in all runs (queue full)");
        var ratio = onFps / offFps;
        report.Add("ratio on / off", ratio, "x", $"target >= 0.9: {(ratio >= 0.9 ? "met" : "NOT met")}");
        report.Add("last frame -> broker has every alert", Measure.Median(drains) * 1000, "ms", $"median of {Repetitions}: the publisher's backlog after the storm");
        report.Add("alerts acknowledged by the broker per second while draining", alerts / Measure.Median(drains), "alerts/s", $"QoS 1, up to {FleetBatches.MaxLines} EVE lines per message, 16 messages awaiting acknowledgement, outbox on disk; {publisher.Counters.Published / (double)Math.Max(1, publisher.Counters.Messages):N1} alerts per message on average");
    }

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
        foreach (var step in publisher.Timings.Steps)
        {
            Console.Error.WriteLine($"  {rate}/s {step}");
        }
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
        report.Add($"outbox after a {seconds} s outage at {OutageRate:N0} alerts/s", publisher.Queued, "messages", $"growth {publisher.Queued / (double)seconds:N0} messages/s; {publisher.Counters.Dropped - droppedBefore:N0} dropped");
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
