using System.Diagnostics;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Engine throughput: frames/s through the engine (one core) for three chains and 10 / 1,000 / 10,000 devices, from
/// memory and from a pcap file, and Suricata on the same pcap and the same 50 rules as the baseline.
/// </summary>
public sealed class EngineThroughputSuite : IBenchSuite
{
    public const string FirewallChain =
        "\"firewall(default: drop, stateful: false, rules: [{action: allow, dir: out, proto: tcp, remote: 203.0.113.0/24, rport: 443}, " +
        "{action: allow, dir: in, proto: tcp, remote: 203.0.113.0/24, rport: 443}, {action: allow, proto: udp, remote: 203.0.113.0/24, rport: 53}, " +
        "{action: allow, dir: in, proto: udp, remote: 203.0.113.0/24, rport: 53}, {action: allow, proto: icmp}])\"";

    private static readonly (string Name, string Chain)[] Chains =
    [
        ("firewall", FirewallChain.Trim('"')),
        ("firewall->rate-limit->ips(50)", FirewallChain.Trim('"') + " -> rate-limit(pps: 100000) -> ips(rules: bench-50.rules)"),
        ("block-all", "block-all"),
    ];

    private static readonly int[] DeviceCounts = [10, 1_000, 10_000];

    public string Name => "engine";

    public string Description => "frames/s through the engine per chain and device count (one core), vs Suricata on the same pcap + rules";

    public static int Frames => int.TryParse(Environment.GetEnvironmentVariable("KALKI_BENCH_FRAMES"), out var n) ? n : 1_000_000;

    public void Run(SuiteReport report)
    {
        foreach (var devices in DeviceCounts)
        {
            var mix = TrafficMix.Build(devices, Frames);
            foreach (var (name, chain) in Chains)
            {
                var appliance = Build(mix, chain);
                var fps = Frames / Measure.MedianSeconds(3, () => mix.Play(new FramePipeline(appliance)));
                report.Add($"{name}, {devices} devices, from memory", fps, "frames/s", $"avg {mix.AverageFrameBytes:F0} B");
            }
        }

        CompareWithSuricata(report);
    }

    public static EdgeAppliance Build(TrafficMix mix, string chain, IApplianceObserver? observer = null, string? type = null)
    {
        var config = Config(mix, chain, type);
        var diagnostics = new DiagnosticBag();
        return EdgeAppliance.Build(config, diagnostics, observer ?? new NullObserver())
            ?? throw new InvalidOperationException("bench configuration invalid:\n" + diagnostics);
    }

    /// <summary>The site: every device of the mix under <paramref name="chain"/> (or pack <paramref name="type"/>).</summary>
    public static SiteConfig Config(TrafficMix mix, string chain, string? type = null)
    {
        var umboxes = Path.Combine(RepoPaths.Root, "umboxes");
        return new SiteConfig
        {
            File = "bench",
            UmboxesDir = umboxes,
            NetworkBroadcastChain = "block-all",
            Devices = [.. mix.Devices.Select(d => new DeviceConfig(d.Name, ParseMac(d.Mac), [Ip.TryParse(d.Ip, out var ip) ? ip : 0], SourceSpan.None("bench")) { Chain = type is null ? chain : null, Type = type })],
        };
    }

    private static void CompareWithSuricata(SuiteReport report)
    {
        var suricata = Suricata.Find();
        var noSuricata = Prerequisite.Suricata.Missing();
        var mix = TrafficMix.Build(1_000, Frames);
        var dir = Directory.CreateTempSubdirectory("kalki-bench-");
        try
        {
            var pcap = Path.Combine(dir.FullName, "mix.pcap");
            var small = Path.Combine(dir.FullName, "small.pcap");
            mix.WritePcap(pcap);
            mix.WritePcap(small, 1_000);
            var rules = Path.Combine(RepoPaths.Root, "umboxes", "rules", "bench-50.rules");
            var chain = Chains[1].Chain;
            var appliance = Build(mix, chain);
            var ours = Timed(() => PlayFromFile(appliance, pcap), CpuTime.Thread);
            var oursFromFile = Frames / ours.Wall;
            report.Add("firewall->rate-limit->ips(50), 1000 devices, from pcap file", oursFromFile, "frames/s", ours.Spread(Frames));
            if (suricata is null)
            {
                Console.WriteLine($"skipped engine vs suricata: needs {noSuricata}");
                report.Add("suricata (same pcap, same rules)", double.NaN, "frames/s", $"not measured: {noSuricata}");
                return;
            }

            // Suricata's start-up (rule compilation) is measured on a tiny capture and subtracted; the two alternate.
            var startup = new Timing();
            var total = new Timing();
            for (int i = 0; i < SuricataRuns; i++)
            {
                startup.Add(Timed(() => suricata.Run(small, rules, dir.FullName), CpuTime.Children, 1));
                total.Add(Timed(() => suricata.Run(pcap, rules, dir.FullName), CpuTime.Children, 1));
            }

            var work = total.Wall - startup.Wall;
            var workCpu = total.Cpu - startup.Cpu;
            if (work < 0.25 * total.Wall || workCpu < 0.25 * total.Cpu)
            {
                // Start-up dominates: the difference is noise, and a ratio of it would mean nothing.
                report.Add("suricata --runmode single, same pcap + 50 rules", double.NaN, "frames/s",
                    $"not measurable: start-up {startup.Wall:F2}s of {total.Wall:F2}s; raise KALKI_BENCH_FRAMES (now {Frames:N0})");
                return;
            }

            var suricataFps = (Frames - 1_000) / work;
            report.Add("suricata --runmode single, same pcap + 50 rules", suricataFps, "frames/s", $"start-up {startup.Wall:F2}s subtracted; median of {SuricataRuns}; {total.Spread(Frames - 1_000)} (start-up included)");
            report.Add("ratio kalki-edge / suricata (pcap file)", oursFromFile / suricataFps, "x", $"wall time; target >= 1.5");
            report.Add("ratio kalki-edge / suricata (pcap file, CPU time)", (Frames / ours.Cpu) / ((Frames - 1_000) / workCpu), "x",
                "each side's own CPU seconds (our engine thread; Suricata's process, start-up CPU subtracted): holds under load where wall time does not");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private const int SuricataRuns = 3;

    /// <summary>Runs <paramref name="action"/> <paramref name="repetitions"/> times; medians of wall and <paramref name="cpu"/> seconds, and the wall range.</summary>
    internal static Timing Timed(Action action, Func<double> cpu, int repetitions = 3)
    {
        var timing = new Timing();
        for (int i = 0; i < repetitions; i++)
        {
            var c = cpu();
            var sw = Stopwatch.StartNew();
            action();
            timing.Add(new Timing.Sample(sw.Elapsed.TotalSeconds, cpu() - c));
        }

        return timing;
    }

    public static void PlayFromFile(EdgeAppliance appliance, string pcap)
    {
        using var source = new PcapFileSource(pcap);
        var pipeline = new FramePipeline(appliance);
        var frame = new Frame();
        while (source.TryRead(frame))
        {
            pipeline.Process(frame);
        }

        pipeline.Finish();
    }

    private static ulong ParseMac(string mac) => Mac.TryParse(mac, out var m) ? m : throw new ArgumentException(mac);
}

/// <summary>Repeated timings of one thing: medians of wall and CPU seconds, and the spread of the wall times.</summary>
internal sealed class Timing
{
    private readonly List<Sample> _samples = [];

    public double Wall => Measure.Median(_samples.ConvertAll(s => s.Wall));

    public double Cpu => Measure.Median(_samples.ConvertAll(s => s.Cpu));

    /// <summary>Each run's wall time, in the order the runs were taken (for <see cref="PairedRatios"/>).</summary>
    public IReadOnlyList<double> Walls => _samples.ConvertAll(s => s.Wall);

    /// <summary>Each run's processor time, in the order the runs were taken.</summary>
    public IReadOnlyList<double> Cpus => _samples.ConvertAll(s => s.Cpu);

    public void Add(Sample sample) => _samples.Add(sample);

    public void Add(Timing other) => _samples.AddRange(other._samples);

    /// <summary>The range of rates over the runs, for the report's note.</summary>
    public string Spread(long frames) =>
        $"{_samples.Count} runs: {frames / _samples.Max(s => s.Wall):N0}..{frames / _samples.Min(s => s.Wall):N0} frames/s wall, median CPU {Cpu:F2}s for {Wall:F2}s wall";

    public readonly record struct Sample(double Wall, double Cpu);
}

/// <summary>The Suricata binary, run offline on a capture.</summary>
public sealed class Suricata(string path)
{
    public static Suricata? Find() =>
        new[] { "/usr/bin/suricata", "/usr/local/bin/suricata" }.Where(File.Exists).Select(p => new Suricata(p)).FirstOrDefault();

    public void Run(string pcap, string rules, string workDir)
    {
        var log = Path.Combine(workDir, "suricata-log");
        Directory.CreateDirectory(log);
        var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
        var config = Path.Combine(RepoPaths.Root, "tests", "peers", "suricata.yaml");
        foreach (var a in new[] { "-c", config, "-r", pcap, "-S", rules, "--runmode", "single", "-k", "none", "-l", log })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)) || p.ExitCode != 0)
        {
            throw new InvalidOperationException($"suricata failed on {pcap} (exit {(p.HasExited ? p.ExitCode : -1)})");
        }
    }
}
