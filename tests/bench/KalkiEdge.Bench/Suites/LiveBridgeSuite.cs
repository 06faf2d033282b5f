using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// The live bridge: frames/s (64 B and 1400 B) and round-trip latency through the testbed's appliance namespace, in one
/// run: the Linux kernel bridge as the baseline, then kalki-edge with a pass-through chain and with a firewall
/// chain, the firewall chain sending one frame per system call (<c>transmit-batch: 1</c>, what batched transmission
/// is measured against), the firewall chain busy-polling its empty ring for 50 µs before sleeping (against the
/// default, which sleeps at once), the firewall chain on a polling core (<c>poll-cpu</c>: one pinned thread that never
/// sleeps, on the highest CPU the bench may use; against the same default), and the firewall chain with epoch packet
/// signing (emulated shim), reported against the same chain unsigned. The five firewall variants alternate <see cref="FirewallRounds"/> times. Then the capture
/// loss at 0.5-0.9x the firewall chain's own rate, paced evenly (LiveBridgeSuite.Loss.cs). Beside the kernel bridge's
/// round trip, what a wake-up of a sleeping thread costs on this machine (<see cref="WakeUpRoundTrip"/>), across CPUs and
/// on one: the added round trip of a bridge whose capture threads sleep cannot be below it. Traffic and measurement are
/// tests/testbed/bench.py's (hue -> cloud). Then the live reaction time (LiveBridgeSuite.Reaction.cs).
/// The flood is flat out on purpose: the appliance's capture ring drops what the sender offers beyond what it
/// forwards (its LOSS lines). The paced runs send evenly instead (LiveBridgeSuite.Loss.cs). The kernel bridge forwards inside the sender's own system call, kalki-edge in its capture
/// threads, so on a loaded machine both rates are mostly the Python sender's share of the CPU: read a ratio with the
/// load average beside it (firmware/KalkiEdge.DataPlane/Live/README.md, "Where the time goes": under load 17-48 the
/// kernel bridge measured 20-429 kfps at 64 B within an hour; with the sender under SCHED_FIFO, 297-424 kfps, and
/// kalki-edge 250-400 kfps).
/// KALKI_BENCH_LIVE_PARTS=throughput or =reaction runs one part; KALKI_BENCH_LIVE_SECONDS sets each throughput
/// run's length (default 5). Needs root.
/// </summary>
public sealed partial class LiveBridgeSuite : IBenchSuite
{
    /// <summary>The firewall a camera-like device would get, plus the benchmark's own UDP flow to the cloud host.</summary>
    public const string FirewallChain =
        "firewall(default: drop, rules: [{action: allow, proto: arp}, {action: allow, proto: icmp}, " +
        "{action: allow, dir: out, proto: tcp, remote: 203.0.113.0/24, rport: 443}, {action: allow, proto: udp, remote: 203.0.113.0/24, rport: 53}, " +
        "{action: allow, proto: udp, remote: 192.0.2.100/32}])";

    private const double FpsTarget = 0.8;
    private const double AddedP50TargetMicros = 50;
    private const double AddedP99TargetMicros = 250;
    private const double SignedTarget = 0.9;

    public string Name => "live";

    public string Description => "frames/s and added latency on the netns testbed: kernel bridge vs kalki-edge (pass, firewall, firewall sending one frame per call, firewall busy-polling, firewall on a polling core, firewall + epoch signing); live reaction time";

    /// <summary>The testbed (root, iproute2, Python at both ends) and the shim for the signed runs.</summary>
    public IReadOnlyList<Prerequisite> Requires =>
        [Prerequisite.Root, Prerequisite.Command("ip", "iproute2"), Prerequisite.Command("python3", "python3"), Prerequisite.Shim];

    private static string Parts => Environment.GetEnvironmentVariable("KALKI_BENCH_LIVE_PARTS") ?? "throughput,reaction";

    private static string Testbed => RepoPaths.Testbed;

    private static string Seconds => Environment.GetEnvironmentVariable("KALKI_BENCH_LIVE_SECONDS") ?? "5";

    public void Run(SuiteReport report)
    {
        var prefix = TestbedProcesses.Script(TimeSpan.FromSeconds(10), "new-prefix").Trim();
        var work = Directory.CreateTempSubdirectory("kalki-bench-live-");
        try
        {
            TestbedProcesses.Script(TimeSpan.FromSeconds(120), "--prefix", prefix, "up");
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
            TestbedProcesses.Script(TimeSpan.FromSeconds(120), "--prefix", prefix, "down");
            work.Delete(recursive: true);
        }
    }

    /// <summary>The firewall variants (batched, one send per frame, signed) alternate this many times: the shared machine's load drifts over minutes.</summary>
    private const int FirewallRounds = 2;

    private const string OneSendPerFrame = "transmit-batch: 1";

    private const string BusyPoll = "busy-poll-us: 50";

    private const string BusyPolling = "kalki-edge firewall, busy-poll 50 µs";

    private const string PollingCore = "kalki-edge firewall, polling core";

    /// <summary>The polling core on the highest CPU the bench (and so the appliance it starts) may use.</summary>
    private static string PollCpu => $"poll-cpu: {DataPlane.Live.CpuAffinity.Allowed().Max()}";

    private static void MeasureThroughput(SuiteReport report, string prefix, string work)
    {
        var kernel = LiveRun.From(BenchPy(prefix, "--baseline"));
        AddThroughput(report, "kernel bridge", kernel, null, "");
        AddLatency(report, "kernel bridge", kernel, null, "");
        WakeUpRoundTrip.Add(report); // what the bridge's own hand-offs cost here: the floor of its added round trip while its threads sleep
        Add(report, "kalki-edge pass", [Bridged(prefix, work, "kalki-edge pass", "pass")], kernel);
        List<LiveRun> batched = [], unbatched = [], polling = [], pollingCore = [], signed = [];
        for (int round = 0; round < FirewallRounds; round++)
        {
            batched.Add(Bridged(prefix, work, "kalki-edge firewall", FirewallChain));
            unbatched.Add(Bridged(prefix, work, "kalki-edge firewall, one send per frame", FirewallChain, interfaces: OneSendPerFrame));
            polling.Add(Bridged(prefix, work, BusyPolling, FirewallChain, interfaces: BusyPoll));
            pollingCore.Add(Bridged(prefix, work, PollingCore, FirewallChain, interfaces: PollCpu));
            signed.Add(Bridged(prefix, work, "kalki-edge firewall + epoch signing", FirewallChain, EpochSigning(work)));
        }

        Add(report, "kalki-edge firewall", batched, kernel);
        Add(report, "kalki-edge firewall, one send per frame", unbatched, kernel);
        Add(report, BusyPolling, polling, kernel);
        Add(report, PollingCore, pollingCore, kernel);
        Add(report, "kalki-edge firewall + epoch signing", signed, kernel);
        AddBatchingGain(report, LiveRun.Mean(batched), LiveRun.Mean(unbatched));
        AddGainOverSleeping(report, "busy-poll", BusyPoll, LiveRun.Mean(polling), LiveRun.Mean(batched));
        AddGainOverSleeping(report, "polling core", PollCpu, LiveRun.Mean(pollingCore), LiveRun.Mean(batched));
        AddSigningCost(report, signed, batched);
        MeasurePacedLoss(report, prefix, work, LiveRun.Mean(batched));
    }

    /// <summary>
    /// One bench.py run while kalki-edge bridges with <paramref name="chain"/> for hue (plus the config's
    /// <paramref name="sections"/> and extra <paramref name="interfaces"/> keys); prints the appliance's final
    /// counters, whose ring-drop column is the capture loss under the flat-out offered load.
    /// </summary>
    private static LiveRun Bridged(string prefix, string work, string label, string chain, string sections = "", string interfaces = "")
    {
        var (run, counters) = WithAppliance(prefix, WriteConfig(work, prefix, chain, sections, interfaces), () => BenchPy(prefix, "--label", label));
        Console.WriteLine($"{label}:\n{counters}");
        return LiveRun.From(run);
    }

    private static void Add(SuiteReport report, string label, List<LiveRun> runs, LiveRun kernel)
    {
        var note = runs.Count > 1 ? $"; the mean of {runs.Count} runs interleaved with the other firewall variants" : "";
        AddThroughput(report, label, LiveRun.Mean(runs), kernel, note, runs);
        AddLatency(report, label, LiveRun.Mean(runs), kernel, note, runs);
    }

    /// <summary>Epoch signing through the emulated shim; its key in the run's work directory.</summary>
    private static string EpochSigning(string work) =>
        $"hypervisor: {{backend: emulated, key: {Path.Combine(work, "hypervisor.key")}}}\nsigning: {{mode: epoch}}\n";

    /// <param name="rounds">The runs <paramref name="run"/> is the mean of, when there are several: their spread is reported.</param>
    private static void AddThroughput(SuiteReport report, string label, LiveRun run, LiveRun? kernel, string note, List<LiveRun>? rounds = null)
    {
        foreach (var (size, fps) in (ReadOnlySpan<(string, double)>)[("64", run.Fps64), ("1400", run.Fps1400)])
        {
            report.Add($"{label}, {size} B", fps, "frames/s", $"counted at the receiver, each run the median of bench.py's runs at this size{note}");
            if (kernel is { } k)
            {
                var kernelFps = k.FpsAt(size);
                var ratio = fps / kernelFps;
                var spread = rounds is { Count: > 1 } ? $"; {PairedRatios.Describe(Fps(rounds, size), [.. rounds.Select(_ => kernelFps)])}" : "";
                report.Add($"{label}, {size} B vs kernel bridge", ratio, "ratio", $"target >= {FpsTarget}: {(ratio >= FpsTarget ? "met" : "MISSED")}{spread}");
            }
        }
    }

    /// <summary>Each run's frame rate at <paramref name="size"/> ("64" or "1400") bytes.</summary>
    private static double[] Fps(List<LiveRun> runs, string size) => [.. runs.Select(r => r.FpsAt(size))];

    /// <param name="rounds">The runs <paramref name="run"/> is the mean of, when there are several: their spread is reported.</param>
    private static void AddLatency(SuiteReport report, string label, LiveRun run, LiveRun? kernel, string note, List<LiveRun>? rounds = null)
    {
        foreach (var (q, micros) in (ReadOnlySpan<(string, double)>)[("p50", run.P50), ("p99", run.P99)])
        {
            report.Add($"{label}, RTT {q}", micros, "µs", $"UDP ping-pong hue <-> cloud, Python at both ends{note}");
            if (kernel is { } k)
            {
                var kernelMicros = k.RttAt(q);
                var added = micros - kernelMicros;
                var limit = q == "p50" ? AddedP50TargetMicros : AddedP99TargetMicros;
                var spread = rounds is { Count: > 1 } ? $"; per round {AddedRange(rounds, q, kernelMicros)}" : "";
                report.Add($"{label}, added RTT {q} vs kernel bridge", added, "µs", $"target <= {limit} µs: {(added <= limit ? "met" : "MISSED")}{spread}");
            }
        }
    }

    /// <summary>The lowest and highest added round trip (<paramref name="q"/> "p50" or "p99") over the runs, against the kernel bridge's.</summary>
    private static string AddedRange(List<LiveRun> runs, string q, double kernelMicros)
    {
        var added = runs.Select(r => r.RttAt(q) - kernelMicros).ToList();
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{added.Min():0.#}..{added.Max():0.#} µs over {added.Count}");
    }

    /// <summary>What sending each port's frames in batches (one sendmmsg) gains over one send per frame: the same firewall chain, interleaved in one run.</summary>
    private static void AddBatchingGain(SuiteReport report, LiveRun batched, LiveRun unbatched)
    {
        report.Add("batched transmission, 64 B vs one send per frame", batched.Fps64 / unbatched.Fps64, "ratio", "firewall chain both; frames/s transmit-batch 32 / 1");
        report.Add("batched transmission, 1400 B vs one send per frame", batched.Fps1400 / unbatched.Fps1400, "ratio", "firewall chain both; frames/s transmit-batch 32 / 1");
        report.Add("batched transmission, added RTT p50 vs one send per frame", batched.P50 - unbatched.P50, "µs", "a lone frame is never held for a batch: expect ~0");
    }

    /// <summary>
    /// What a capture thread that does not sleep at once (<paramref name="setting"/>: a spin before sleeping, or a polling
    /// core) gains over the default, a thread per port sleeping at once: the same firewall chain, interleaved in one run.
    /// </summary>
    private static void AddGainOverSleeping(SuiteReport report, string what, string setting, LiveRun polling, LiveRun sleeping)
    {
        var note = $"firewall chain both; {setting} vs the default (a thread per port, busy-poll-us: {DataPlane.Live.InterfacesConfig.DefaultBusyPollMicros})";
        report.Add($"{what}, 64 B vs sleeping at once", polling.Fps64 / sleeping.Fps64, "ratio", $"{note}; frames/s");
        report.Add($"{what}, 1400 B vs sleeping at once", polling.Fps1400 / sleeping.Fps1400, "ratio", $"{note}; frames/s");
        report.Add($"{what}, added RTT p50 vs sleeping at once", polling.P50 - sleeping.P50, "µs", note);
        report.Add($"{what}, added RTT p99 vs sleeping at once", polling.P99 - sleeping.P99, "µs", note);
    }

    /// <summary>What epoch signing costs on the live path: the same firewall chain, signing on vs off, interleaved in one run.</summary>
    /// <param name="signedRounds">The signed runs, round by round.</param>
    /// <param name="unsignedRounds">The unsigned runs of the same rounds, in the same order.</param>
    private static void AddSigningCost(SuiteReport report, List<LiveRun> signedRounds, List<LiveRun> unsignedRounds)
    {
        var (signed, unsigned) = (LiveRun.Mean(signedRounds), LiveRun.Mean(unsignedRounds));
        var note = $"firewall chain both; frames/s signed / unsigned; frame MAC {Assurance.Signing.EpochMacs.Name(Assurance.Signing.EpochMacs.Preferred)}";
        foreach (var size in (ReadOnlySpan<string>)["64", "1400"])
        {
            var ratio = signed.FpsAt(size) / unsigned.FpsAt(size);
            var spread = PairedRatios.Describe(Fps(signedRounds, size), Fps(unsignedRounds, size));
            report.Add($"epoch signing, {size} B vs signing off", ratio, "ratio", $"{note} (target >= {SignedTarget}: {(ratio >= SignedTarget ? "met" : "NOT met")}); {spread}");
        }

        report.Add("epoch signing, added RTT p50 vs signing off", signed.P50 - unsigned.P50, "µs", "one signed traversal each way per round trip");
        report.Add("epoch signing, added RTT p99 vs signing off", signed.P99 - unsigned.P99, "µs", "");
    }

    /// <summary>What the report needs from one bench.py result.</summary>
    private readonly record struct LiveRun(double Fps64, double Fps1400, double P50, double P99)
    {
        public static LiveRun From(JsonElement run)
        {
            var throughput = run.GetProperty("throughput");
            var latency = run.GetProperty("latency");
            return new LiveRun(
                throughput.GetProperty("64").GetProperty("fps").GetDouble(),
                throughput.GetProperty("1400").GetProperty("fps").GetDouble(),
                latency.GetProperty("p50Micros").GetDouble(),
                latency.GetProperty("p99Micros").GetDouble());
        }

        /// <summary>The frame rate at <paramref name="size"/> ("64" or "1400") bytes.</summary>
        public double FpsAt(string size) => size == "64" ? Fps64 : Fps1400;

        /// <summary>The round trip's <paramref name="q"/> ("p50" or "p99").</summary>
        public double RttAt(string q) => q == "p50" ? P50 : P99;

        public static LiveRun Mean(List<LiveRun> runs) => new(
            runs.Average(r => r.Fps64), runs.Average(r => r.Fps1400), runs.Average(r => r.P50), runs.Average(r => r.P99));
    }

    /// <summary>How long a start may take (warm-up included) before the run is given up: generous, a shared machine can be slow.</summary>
    private const int StartSeconds = 180;

    /// <summary>Runs <paramref name="measure"/> while kalki-edge bridges in the appliance namespace; returns its final counters too.</summary>
    private static (JsonElement Result, string Counters) WithAppliance(string prefix, string config, Func<JsonElement> measure) =>
        WithAppliance(prefix, config, _ => measure());

    /// <summary>As above, <paramref name="measure"/> given kalki-edge's process id (`ip netns exec` execs it in place).</summary>
    private static (JsonElement Result, string Counters) WithAppliance(string prefix, string config, Func<int, JsonElement> measure)
    {
        using var appliance = Process.Start(Firmware.Prefixed(["ip", "netns", "exec", $"{prefix}-app"], "run", "--config", config)) ?? throw new InvalidOperationException("cannot start kalki-edge");
        var stderr = appliance.StandardError.ReadToEndAsync();
        var before = new StringBuilder();
        try
        {
            // WARNING lines (signing/attestation off) may precede the ready line; never block on stderr while it runs.
            var until = DateTime.UtcNow.AddSeconds(StartSeconds);
            while (true)
            {
                var ready = appliance.StandardOutput.ReadLineAsync();
                var left = until - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !ready.Wait(left) || ready.Result is not { } line)
                {
                    throw new InvalidOperationException(NotStarted(appliance, config, before.ToString(), stderr));
                }

                // Lines may carry a syslog priority and tag ("<6>KalkiEdge[0] ") before the text.
                if (line.Contains("KalkiEdge live bridge: ", StringComparison.Ordinal))
                {
                    break;
                }

                before.AppendLine(line);
            }

            var stdout = appliance.StandardOutput.ReadToEndAsync();
            var result = measure(appliance.Id);
            if (!TestbedProcesses.Terminate(appliance, TimeSpan.FromSeconds(20)))
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

    /// <summary>
    /// Why kalki-edge did not reach its ready line: it exited (with its code) or was killed after
    /// <see cref="StartSeconds"/>; either way with its config, what it printed and its stderr, so the reader sees the cause.
    /// </summary>
    private static string NotStarted(Process appliance, string config, string stdout, Task<string> stderr)
    {
        var how = appliance.HasExited ? $"exited with code {appliance.ExitCode}" : $"printed no ready line within {StartSeconds} s and was killed";
        if (!appliance.HasExited)
        {
            appliance.Kill(entireProcessTree: true);
        }

        var err = stderr.Wait(TimeSpan.FromSeconds(10)) ? stderr.Result.Trim() : "(stderr not closed within 10 s)";
        return $"kalki-edge did not start bridging: it {how}.\nconfig {config}:\n{File.ReadAllText(config).Trim()}\n" +
            $"stdout:\n{(stdout.Length == 0 ? "(nothing)" : stdout.Trim())}\nstderr:\n{(err.Length == 0 ? "(nothing)" : err)}";
    }

    private static JsonElement BenchPy(string prefix, params string[] args)
    {
        var output = BoundedProcess.Output(TimeSpan.FromMinutes(10), "python3", [Path.Combine(Testbed, "bench.py"), "--prefix", prefix, "--duration", Seconds, "--repeat", "3", "--latency-count", "3000", .. args]);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static string WriteConfig(string dir, string prefix, string hueChain, string sections = "", string interfaces = "")
    {
        using var status = JsonDocument.Parse(TestbedProcesses.Script(TimeSpan.FromSeconds(30), "--prefix", prefix, "status", "--json"));
        Directory.CreateDirectory(Path.Combine(dir, "umboxes", "images"));
        var manifest = Path.Combine(dir, "umboxes", "manifest");
        if (!Directory.Exists(manifest))
        {
            // The signed manifest is verified at start whenever a hypervisor section is present.
            Directory.CreateSymbolicLink(manifest, Path.Combine(RepoPaths.Root, "umboxes", "manifest"));
        }

        var extra = interfaces.Length > 0 ? $", {interfaces}" : "";
        var yaml = new StringBuilder($"umboxes: {Path.Combine(dir, "umboxes")}\n{OwnInstance(dir)}interfaces: {{devices: [dev0], uplink: up0{extra}}}\n{sections}devices:\n");
        foreach (var h in status.RootElement.GetProperty("hosts").EnumerateArray().Where(h => h.GetProperty("role").GetString() == "device"))
        {
            var name = h.GetProperty("name").GetString();
            yaml.Append($"  - {{name: {name}, mac: \"{h.GetProperty("mac").GetString()}\", ip: {h.GetProperty("ip").GetString()}, chain: \"{(name == "hue" ? hueChain : "pass")}\"}}\n");
        }

        var path = Path.Combine(dir, $"live-{Guid.NewGuid().ToString("N")[..6]}.yaml");
        File.WriteAllText(path, yaml.ToString());
        return path;
    }

    /// <summary>
    /// Config lines that keep each appliance run to itself: its own data directory and control socket under the
    /// run's work directory, and an ephemeral management port; the defaults (/run/kalki-edge/control.sock, the
    /// standard data directory) are shared with any other kalki-edge on the machine, and a stale or busy one stops the start.
    /// </summary>
    private static string OwnInstance(string dir)
    {
        var own = Path.Combine(dir, $"instance-{Guid.NewGuid().ToString("N")[..6]}");
        return $"data-dir: {Path.Combine(own, "data")}\nmanagement: {{listen: \"127.0.0.1:0\", control-socket: {Path.Combine(own, "control.sock")}}}\n";
    }

}
