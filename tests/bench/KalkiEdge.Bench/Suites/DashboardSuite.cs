using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Events;
using KalkiEdge.Management;
using KalkiEdge.Management.Auth;
using KalkiEdge.Management.Live;
using KalkiEdge.Store;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// The dashboard's cost to the appliance. (1) Engine frame rate under an alert storm (the EVE suite's: one frame in
/// <see cref="AlertEvery"/> alerts) with 100 live-event clients connected through the real Kestrel server vs none
/// (same appliance, same run, interleaved, medians; the clients read in this process, so their CPU is charged to
/// the appliance too). Target ≥ 0.95×. (2) Alert → browser latency: alerts raised one every 10 ms into the alert
/// queue and evaluated by the control plane, timed until each of the 100 clients has read its event line; p99
/// target &lt; 250 ms. (3) Resident memory of a real `kalki-edge run` (idle mode) with the dashboard in use (10 live
/// clients, overview, device pages and /metrics fetched), 1,000 devices under packs against 10.
/// </summary>
public sealed class DashboardSuite : IBenchSuite
{
    private const int Clients = 100;
    private const int Devices = 100;
    private const int Repetitions = 5;
    private const int AlertEvery = 50;
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
        var scans = mix.Devices.Select((d, i) => PacketFactory.Tcp(TrafficMix.Cloud(i % 4), d, 40000, (ushort)(1 + i), syn: false, ack: false, fin: false, 1, 0, [])).ToArray();
        var dir = Directory.CreateTempSubdirectory("kalki-bench-dash-");
        var hub = new EventHub();
        var appliance = EngineThroughputSuite.Build(mix, Chain, hub);
        hub.Bind(appliance.Control.Devices, appliance.Engine.Devices);
        using var store = KalkiStore.Open(Path.Combine(dir.FullName, "accounts.db"));
        var stream = new DashboardStream();
        var context = new ManagementContext
        {
            Appliance = appliance,
            Accounts = new Accounts(store),
            Events = stream,
            Activity = new DeviceActivity(appliance.Engine.Devices, stream),
            Health = () => new HealthReport("ok", "bench", "bench", new HypervisorHealth("off", false, "bench"), new SigningHealth("off", null), [], appliance.Engine.Devices.Count, 0, 0),
            Images = () => [],
        };
        hub.Add(context.Activity).Add(context.Metrics).Add(stream);
        context.Accounts.CreateAdministrator("bench", "bench password 1234", "bench");
        var token = context.Accounts.CreateToken("bench", "bench").Token;
        var server = await ManagementServer.StartAsync(new ManagementSettings("127.0.0.1:0", Path.Combine(dir.FullName, "control.sock")), context);
        var readers = new List<SseReader>();
        try
        {
            var times = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
            for (int rep = 0; rep < Repetitions; rep++)
            {
                times[false].Add(Play(appliance, mix, scans));
                if (rep == 0)
                {
                    for (int i = 0; i < Clients; i++)
                    {
                        readers.Add(await SseReader.Connect(server.Address, token));
                    }

                    await WaitFor(() => stream.Clients == Clients, "100 clients connected");
                }

                times[true].Add(Play(appliance, mix, scans));
            }

            var offFps = frames / Measure.Median(times[false]);
            var onFps = frames / Measure.Median(times[true]);
            var note = $"{Devices} devices, 1 frame in {AlertEvery} alerts, {frames:N0} frames, median of {Repetitions}";
            report.Add("no dashboard clients: engine + control plane", offFps, "frames/s", note);
            report.Add($"{Clients} live clients: engine + control plane", onFps, "frames/s", $"{readers.Sum(r => r.Events):N0} events read in all, {stream.DroppedClients} clients dropped for falling behind");
            var ratio = onFps / offFps;
            report.Add($"ratio {Clients} clients / none", ratio, "x", $"target >= 0.95: {(ratio >= 0.95 ? "met" : "NOT met")}");

            // Alert → browser: every client's reading of each marked alert, timed from its raise.
            var stillConnected = readers.Where(r => !r.Closed).ToList();
            var raised = new long[LatencyAlerts];
            foreach (var r in stillConnected)
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

            await WaitFor(() => stillConnected.All(r => r.Latencies.Count >= LatencyAlerts), "every client read every marked alert", TimeSpan.FromSeconds(30), throwOnTimeout: false);
            var latencies = stillConnected.SelectMany(r => r.Latencies).ToList();
            var missing = (stillConnected.Count * LatencyAlerts) - latencies.Count;
            var lnote = $"{LatencyAlerts} alerts 10 ms apart x {stillConnected.Count} clients; {missing} readings missing";
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
            appliance.Dispose();
            dir.Delete(recursive: true);
        }
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

    /// <summary>The replay runner's loop: frame in, alerts evaluated (and published through the hub) after it.</summary>
    private static double Play(EdgeAppliance appliance, TrafficMix mix, byte[][] scans)
    {
        var engine = appliance.Engine;
        var context = appliance.CreateContext();
        var frame = new Frame();
        long t = 1_767_225_600_000_000;
        var sw = Stopwatch.StartNew();
        for (int n = 0; n < mix.Order.Length; n++)
        {
            var bytes = n % AlertEvery == 0 ? scans[(n / AlertEvery) % scans.Length] : mix.Templates[mix.Order[n]];
            frame.Load(bytes, t++, Direction.FromDevice);
            frame.Direction = engine.InferDirection(frame);
            appliance.BeginFrame(frame.TimestampMicros);
            engine.Process(frame, context);
            appliance.EndFrame();
        }

        return sw.Elapsed.TotalSeconds;
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
