using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using KalkiEdge.Appliance;
using KalkiEdge.Core;
using KalkiEdge.Export.Events;
using KalkiEdge.Management;
using KalkiEdge.Management.Auth;
using KalkiEdge.Store;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// The dashboard's cost to the appliance. (1) Engine frame rate with 100 live-event clients connected through the
/// real Kestrel server vs none: on the throughput suite's traffic, and under the EVE suite's alert storm (one frame
/// in <see cref="EveSuite.AlertEvery"/> alerts); same appliance, same run, interleaved, medians (the clients read in
/// this process, so their CPU is charged to
/// the appliance too). The live stream folds repeats of a device and alert type into one event per window, so the
/// storm reaches the clients as a few flood events a second, not one event per alert. Target ≥ 0.95×. (2) Alert → browser latency: alerts raised one every 10 ms into the alert
/// queue and evaluated by the control plane, timed until each of the 100 clients has read its event line; p99
/// target &lt; 250 ms. (3) Resident memory of a real `kalki-edge run` (idle mode) with the dashboard in use (10 live
/// clients, overview, device pages and /metrics fetched), 1,000 devices under packs against 10.
/// </summary>
public sealed class DashboardSuite : IBenchSuite
{
    private const int Clients = 100;
    private const int Devices = 100;
    private const int Repetitions = 5;
    private const int LatencyAlerts = 200;
    private const string Chain = "ips(rules: xmas-scan.rules, alert-cap: 1000000)";

    public string Name => "dashboard";

    public string Description => "engine rate with 100 live dashboard clients vs none, alert→browser latency, RSS of `run` at 1,000 devices with the dashboard in use";

    public void Run(SuiteReport report)
    {
        Throughput(report).GetAwaiter().GetResult();
        DashboardMemory.Run(report);
    }

    private static async Task Throughput(SuiteReport report)
    {
        int frames = EngineThroughputSuite.Frames;
        var mix = TrafficMix.Build(Devices, frames);
        var scans = EveSuite.Scans(mix);
        var dir = Directory.CreateTempSubdirectory("kalki-bench-dash-");
        var hub = new EventHub();
        var appliance = EngineThroughputSuite.Build(mix, Chain, hub);
        hub.Bind(appliance.Control.Devices, appliance.Engine.Devices);
        using var store = KalkiStore.Open(Path.Combine(dir.FullName, "accounts.db"));
        var context = ManagementContext.Attach(appliance, hub, new Accounts(store),
            () => new HealthReport("ok", "bench", "bench", new HypervisorHealth("off", false, "bench"), new SigningHealth("off", null), [], appliance.Engine.Devices.Count, 0, 0),
            () => []);
        var stream = context.Events;
        context.Accounts.CreateAdministrator("bench", "bench password 1234", "bench");
        var token = context.Accounts.CreateToken("bench", "bench").Token;
        var server = await ManagementServer.StartAsync(new ManagementSettings("127.0.0.1:0", Path.Combine(dir.FullName, "control.sock")), context);
        var readers = new List<SseReader>();
        try
        {
            // The throughput suite's traffic (alerts are rare), then the EVE suite's alert storm: each with none and
            // with 100 clients, interleaved (clients connect before and leave after each run), medians.
            foreach (var (label, alertEvery, reps) in new[] { ("throughput traffic", 0, Repetitions), ($"alert storm (1 frame in {EveSuite.AlertEvery} alerts)", EveSuite.AlertEvery, 3) })
            {
                var times = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
                long events = 0, dropped = stream.DroppedClients, folded = stream.FoldedAlerts, overflowed = stream.OverflowedAlerts;
                for (int rep = 0; rep < reps; rep++)
                {
                    times[false].Add(EveSuite.Play(appliance, mix, scans, alertEvery));
                    readers = await ConnectAll(server.Address, token, stream);
                    times[true].Add(EveSuite.Play(appliance, mix, scans, alertEvery));
                    await Task.Delay(500);
                    events += readers.Sum(r => Interlocked.Read(ref r.Events));
                    await DisconnectAll(readers, stream);
                }

                var offFps = frames / Measure.Median(times[false]);
                var onFps = frames / Measure.Median(times[true]);
                report.Add($"{label}: no dashboard clients", offFps, "frames/s", $"{Devices} devices, {frames:N0} frames, engine + control plane, median of {reps}");
                report.Add($"{label}: {Clients} live clients", onFps, "frames/s", $"{events:N0} events read in all runs, {stream.DroppedClients - dropped} clients dropped for falling behind, "
                    + $"{stream.FoldedAlerts - folded:N0} alerts folded into flood events, {stream.OverflowedAlerts - overflowed:N0} counted as overflow");
                var ratio = onFps / offFps;
                report.Add($"{label}: ratio {Clients} clients / none", ratio, "x", $"target >= 0.95: {(ratio >= 0.95 ? "met" : "NOT met")}");
            }

            // Alert → browser: every client's reading of each marked alert, timed from its raise.
            readers = await ConnectAll(server.Address, token, stream);
            var raised = new long[LatencyAlerts];
            foreach (var r in readers)
            {
                r.Mark(raised);
            }

            for (int i = 0; i < LatencyAlerts; i++)
            {
                raised[i] = Stopwatch.GetTimestamp();
                appliance.Alerts.Raise(new Alert(AlertTypes.PortScan, mix.Devices[i % Devices].Name, AlertSource.Umbox, 1_767_225_600_000_000 + i, $"bench-latency-{i}"));
                appliance.Control.Drain();
                Thread.Sleep(10);
            }

            await WaitFor(() => readers.All(r => r.Closed || r.Latencies.Count >= LatencyAlerts), "every client read every marked alert", TimeSpan.FromSeconds(30), throwOnTimeout: false);
            var latencies = readers.SelectMany(r => r.Latencies).ToList();
            var missing = (Clients * LatencyAlerts) - latencies.Count;
            var lnote = $"{LatencyAlerts} alerts 10 ms apart x {Clients} clients; {missing} readings missing";
            if (latencies.Count == 0)
            {
                report.Add("alert -> browser", double.NaN, "ms", $"no reading: {lnote}");
                return;
            }

            report.Add("alert -> browser p50", Measure.Percentile(latencies, 0.50) * 1000, "ms", lnote);
            var p99 = Measure.Percentile(latencies, 0.99) * 1000;
            report.Add("alert -> browser p99", p99, "ms", $"target < 250 ms: {(p99 < 250 && missing == 0 ? "met" : "NOT met")}");
            report.Add("alert -> browser max", latencies.Max() * 1000, "ms");
        }
        finally
        {
            foreach (var r in readers)
            {
                r.Dispose();
            }

            await server.DisposeAsync();
            context.Activity.Dispose();
            stream.Dispose();
            context.Metrics.Dispose();
            appliance.Dispose();
            dir.Delete(recursive: true);
        }
    }

    private static async Task<List<SseReader>> ConnectAll(string address, string token, Management.Live.DashboardStream stream)
    {
        var readers = new List<SseReader>();
        for (int i = 0; i < Clients; i++)
        {
            readers.Add(await SseReader.Connect(address, token));
        }

        await WaitFor(() => stream.Clients == Clients, $"{Clients} clients connected");
        return readers;
    }

    private static async Task DisconnectAll(List<SseReader> readers, Management.Live.DashboardStream stream)
    {
        foreach (var r in readers)
        {
            r.Dispose();
        }

        await WaitFor(() => stream.Clients == 0, "every client gone");
    }

    private static async Task WaitFor(Func<bool> done, string what, TimeSpan? timeout = null, bool throwOnTimeout = true)
    {
        var deadline = Stopwatch.StartNew();
        while (!done())
        {
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(30)))
            {
                if (throwOnTimeout)
                {
                    throw new TimeoutException($"dashboard bench: timed out waiting for {what}");
                }

                return;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>One live-event client: a real HTTP connection reading the stream line by line, as a browser does.</summary>
    private sealed class SseReader : IDisposable
    {
        private const string Marker = "bench-latency-";
        private readonly HttpClient _http;
        private readonly CancellationTokenSource _stop = new();
        private long[]? _raised;

        private SseReader(HttpClient http) => _http = http;

        public long Events;

        public bool Closed { get; private set; }

        public ConcurrentBag<double> Latencies { get; } = [];

        public static async Task<SseReader> Connect(string address, string token)
        {
            var http = new HttpClient { BaseAddress = new Uri(address), Timeout = Timeout.InfiniteTimeSpan };
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var reader = new SseReader(http);
            var response = await http.GetAsync("/api/events", HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            _ = Task.Run(() => reader.Read(response));
            return reader;
        }

        public void Mark(long[] raised) => _raised = raised;

        private async Task Read(HttpResponseMessage response)
        {
            try
            {
                using var lines = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token), Encoding.UTF8);
                while (await lines.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref Events);
                    }
                    else if (_raised is { } raised && line.IndexOf(Marker, StringComparison.Ordinal) is var at and >= 0)
                    {
                        var end = at + Marker.Length;
                        while (end < line.Length && char.IsAsciiDigit(line[end]))
                        {
                            end++;
                        }

                        var i = int.Parse(line.AsSpan(at + Marker.Length, end - at - Marker.Length), CultureInfo.InvariantCulture);
                        Latencies.Add(Stopwatch.GetElapsedTime(raised[i]).TotalSeconds);
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException)
            {
                // Dropped by the server (too slow) or stopped.
            }
            finally
            {
                Closed = true;
                response.Dispose();
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _http.Dispose();
        }
    }
}
