using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Issue 4: frames/s (64 B and 1400 B) and round-trip latency through the testbed's appliance namespace, in one
/// run: the Linux kernel bridge as the baseline, then kalki-edge with a pass-through chain and with a firewall
/// chain, and with the firewall chain and batched packet signing (emulated shim), reported against the same chain
/// unsigned. Traffic and measurement are tests/testbed/bench.py's (hue -> cloud). Then the live reaction time
/// (LiveBridgeSuite.Reaction.cs). KALKI_BENCH_LIVE_PARTS=throughput or =reaction runs one part. Needs root.
/// </summary>
public sealed partial class LiveBridgeSuite : IBenchSuite
{
    /// <summary>The firewall a camera-like device would get, plus the benchmark's own UDP flow to the cloud host.</summary>
    public const string FirewallChain =
        "firewall(default: drop, rules: [{action: allow, proto: arp}, {action: allow, proto: icmp}, " +
        "{action: allow, dir: out, proto: tcp, remote: 203.0.113.0/24, rport: 443}, {action: allow, proto: udp, remote: 203.0.113.0/24, rport: 53}, " +
        "{action: allow, proto: udp, remote: 192.0.2.100/32}])";

    private const double FpsTarget = 0.5;
    private const double AddedLatencyTargetMicros = 100;

    public string Name => "live";

    public string Description => "frames/s and added latency on the netns testbed: kernel bridge vs kalki-edge (pass, firewall, firewall + batched signing); live reaction time";

    private static string Parts => Environment.GetEnvironmentVariable("KALKI_BENCH_LIVE_PARTS") ?? "throughput,reaction";

    private static string Testbed => Environment.GetEnvironmentVariable("KALKI_TESTBED_DIR") is { Length: > 0 } dir ? dir : Path.Combine(RepoRoot.Find(), "tests", "testbed");

    private static string Seconds => Environment.GetEnvironmentVariable("KALKI_BENCH_LIVE_SECONDS") ?? "5";

    public void Run(SuiteReport report)
    {
        if (!OperatingSystem.IsLinux() || geteuid() != 0)
        {
            throw new BenchSkippedException("the live benchmark builds network namespaces and captures packets: run as root");
        }

        var prefix = Script(TimeSpan.FromSeconds(10), "new-prefix").Trim();
        var work = Directory.CreateTempSubdirectory("kalki-bench-live-");
        try
        {
            Script(TimeSpan.FromSeconds(120), "--prefix", prefix, "up");
            if (Parts.Contains("throughput", StringComparison.Ordinal))
            {
                MeasureThroughput(report, prefix, work.FullName);
            }

            if (Parts.Contains("reaction", StringComparison.Ordinal))
            {
                MeasureReaction(report, prefix, work.FullName);
            }
        }
        finally
        {
            Script(TimeSpan.FromSeconds(120), "--prefix", prefix, "down");
            work.Delete(recursive: true);
        }
    }

    private static void MeasureThroughput(SuiteReport report, string prefix, string work)
    {
        var kernel = BenchPy(prefix, "--baseline");
        AddThroughput(report, "kernel bridge", kernel, null);
        AddLatency(report, "kernel bridge", kernel, null);
        JsonElement? unsigned = null;
        foreach (var (label, chain, sections) in (ReadOnlySpan<(string, string, string)>)[("kalki-edge pass", "pass", ""), ("kalki-edge firewall", FirewallChain, ""), ("kalki-edge firewall + batched signing", FirewallChain, BatchedSigning(work))])
        {
            var (run, counters) = WithAppliance(prefix, WriteConfig(work, prefix, chain, sections), () => BenchPy(prefix, "--label", label));
            AddThroughput(report, label, run, kernel);
            AddLatency(report, label, run, kernel);
            if (sections.Length > 0 && unsigned is { } off)
            {
                AddSigningCost(report, run, off);
            }

            unsigned = chain == FirewallChain && sections.Length == 0 ? run : unsigned;
            Console.WriteLine(counters);
        }
    }

    /// <summary>Batched signing through the emulated shim; its key in the run's work directory.</summary>
    private static string BatchedSigning(string work) =>
        $"hypervisor: {{backend: emulated, key: {Path.Combine(work, "hypervisor.key")}}}\nsigning: {{mode: batched}}\n";

    /// <summary>What batched signing costs on the live path: the same firewall chain, signing on vs off, same run.</summary>
    private static void AddSigningCost(SuiteReport report, JsonElement signed, JsonElement unsigned)
    {
        foreach (var size in (string[])["64", "1400"])
        {
            var ratio = signed.GetProperty("throughput").GetProperty(size).GetProperty("fps").GetDouble() / unsigned.GetProperty("throughput").GetProperty(size).GetProperty("fps").GetDouble();
            report.Add($"batched signing, {size} B vs signing off", ratio, "ratio", "firewall chain both; frames/s signed / unsigned");
        }

        foreach (var q in (string[])["p50", "p99"])
        {
            var added = signed.GetProperty("latency").GetProperty($"{q}Micros").GetDouble() - unsigned.GetProperty("latency").GetProperty($"{q}Micros").GetDouble();
            report.Add($"batched signing, added RTT {q} vs signing off", added, "µs", "two signed traversals per round trip");
        }
    }

    private static void AddThroughput(SuiteReport report, string label, JsonElement run, JsonElement? kernel)
    {
        foreach (var size in (string[])["64", "1400"])
        {
            var fps = run.GetProperty("throughput").GetProperty(size).GetProperty("fps").GetDouble();
            report.Add($"{label}, {size} B", fps, "frames/s", "median of runs, counted at the receiver");
            if (kernel is { } k)
            {
                var ratio = fps / k.GetProperty("throughput").GetProperty(size).GetProperty("fps").GetDouble();
                report.Add($"{label}, {size} B vs kernel bridge", ratio, "ratio", $"target >= {FpsTarget}: {(ratio >= FpsTarget ? "met" : "MISSED")}");
            }
        }
    }

    private static void AddLatency(SuiteReport report, string label, JsonElement run, JsonElement? kernel)
    {
        foreach (var q in (string[])["p50", "p99"])
        {
            var micros = run.GetProperty("latency").GetProperty($"{q}Micros").GetDouble();
            report.Add($"{label}, RTT {q}", micros, "µs", "UDP ping-pong hue <-> cloud, Python at both ends");
            if (kernel is { } k)
            {
                var added = micros - k.GetProperty("latency").GetProperty($"{q}Micros").GetDouble();
                var note = q == "p50" ? $"target <= {AddedLatencyTargetMicros} µs: {(added <= AddedLatencyTargetMicros ? "met" : "MISSED")}" : "";
                report.Add($"{label}, added RTT {q} vs kernel bridge", added, "µs", note);
            }
        }
    }

    /// <summary>Runs <paramref name="measure"/> while kalki-edge bridges in the appliance namespace; returns its final counters too.</summary>
    private static (JsonElement Result, string Counters) WithAppliance(string prefix, string config, Func<JsonElement> measure)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["netns", "exec", $"{prefix}-app", "dotnet", Path.Combine(AppContext.BaseDirectory, "kalki-edge.dll"), "run", "--config", config])
        {
            psi.ArgumentList.Add(a);
        }

        using var appliance = Process.Start(psi) ?? throw new InvalidOperationException("cannot start kalki-edge");
        var stderr = appliance.StandardError.ReadToEndAsync();
        try
        {
            // WARNING lines (signing/attestation off) may precede the ready line; never block on stderr while it runs.
            var until = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var ready = appliance.StandardOutput.ReadLineAsync();
                var left = until - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !ready.Wait(left) || ready.Result is not { } line)
                {
                    appliance.Kill(entireProcessTree: true);
                    throw new InvalidOperationException($"kalki-edge did not start bridging: {(stderr.Wait(TimeSpan.FromSeconds(5)) ? stderr.Result : "")}");
                }

                if (line.StartsWith("KalkiEdge live bridge", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var stdout = appliance.StandardOutput.ReadToEndAsync();
            var result = measure();
            _ = kill(appliance.Id, 15); // SIGTERM: graceful stop, final counters
            if (!appliance.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                throw new InvalidOperationException("kalki-edge did not stop within 20 s of SIGTERM");
            }

            return (result, stdout.Result.Trim());
        }
        finally
        {
            if (!appliance.HasExited)
            {
                appliance.Kill(entireProcessTree: true);
            }
        }
    }

    private static JsonElement BenchPy(string prefix, params string[] args)
    {
        var output = Run(TimeSpan.FromMinutes(10), "python3", [Path.Combine(Testbed, "bench.py"), "--prefix", prefix, "--duration", Seconds, "--repeat", "3", "--latency-count", "3000", .. args]);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static string WriteConfig(string dir, string prefix, string hueChain, string sections = "")
    {
        using var status = JsonDocument.Parse(Script(TimeSpan.FromSeconds(30), "--prefix", prefix, "status", "--json"));
        Directory.CreateDirectory(Path.Combine(dir, "umboxes", "images"));
        var manifest = Path.Combine(dir, "umboxes", "manifest");
        if (!Directory.Exists(manifest))
        {
            // The signed manifest is verified at start whenever a hypervisor section is present.
            Directory.CreateSymbolicLink(manifest, Path.Combine(RepoRoot.Find(), "umboxes", "manifest"));
        }

        var yaml = new StringBuilder($"umboxes: {Path.Combine(dir, "umboxes")}\ninterfaces: {{devices: [dev0], uplink: up0}}\n{sections}devices:\n");
        foreach (var h in status.RootElement.GetProperty("hosts").EnumerateArray().Where(h => h.GetProperty("role").GetString() == "device"))
        {
            var name = h.GetProperty("name").GetString();
            yaml.Append($"  - {{name: {name}, mac: \"{h.GetProperty("mac").GetString()}\", ip: {h.GetProperty("ip").GetString()}, chain: \"{(name == "hue" ? hueChain : "pass")}\"}}\n");
        }

        var path = Path.Combine(dir, $"live-{Guid.NewGuid().ToString("N")[..6]}.yaml");
        File.WriteAllText(path, yaml.ToString());
        return path;
    }

    private static string Script(TimeSpan limit, params string[] args) => Run(limit, Path.Combine(Testbed, "testbed.sh"), args);

    private static string Run(TimeSpan limit, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} did not finish within {limit}");
        }

        p.WaitForExit();
        return p.ExitCode == 0 ? stdout.Result : throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {p.ExitCode}: {stderr.Result}");
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc")]
    private static partial int kill(int pid, int signal);
}
