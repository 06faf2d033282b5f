using System.Diagnostics;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Start-up, per build of the firmware, side by side in one run: wall time of <c>kalki-edge replay</c> of an 11-frame
/// capture (10 devices under packs: config, packs, chains and rules all load; nearly all of it is start-up), the
/// builds alternating <see cref="Runs"/> times; and <c>kalki-edge run</c> with the same 10 devices: process start to
/// its ready line, and its resident memory once settled. The builds are the JIT one the tests run (<c>dotnet
/// kalki-edge.dll</c>) and the linux-x64 publishes <c>make publish-start</c> makes under out/publish/start: trimmed
/// single-file (<c>make publish PUBLISH_FORM=jit</c>), the same with ReadyToRun, and NativeAOT (as <c>make publish</c>
/// ships it); a build not there is reported as not built. A binary KALKI_FIRMWARE names (<see cref="Firmware"/>), when
/// it is none of those, is measured the same way beside them (e.g. a NativeAOT build of another commit, to compare
/// before and after in one run). Then, on the testbed,
/// process start to the first frame forwarded and the bridging RSS
/// (StartSuite.FirstFrame.cs).
/// </summary>
public sealed partial class StartSuite : IBenchSuite
{
    private const string ReadyLine = "kalki-edge: no 'interfaces' section";

    public string Name => "start";

    public string Description => "start-up per build (JIT, trimmed, trimmed + ReadyToRun, NativeAOT): replay of an 11-frame capture, `run` to ready and its RSS with 10 devices, start to first frame forwarded on the testbed and the bridging RSS";

    /// <summary>Replays per build (KALKI_BENCH_START_RUNS, default 10).</summary>
    private static int Runs => int.TryParse(Environment.GetEnvironmentVariable("KALKI_BENCH_START_RUNS"), out var n) ? Math.Clamp(n, 1, 1000) : 10;

    /// <summary>One form of the firmware: how to start it, and why it cannot be (empty when it can).</summary>
    private sealed record Build(string Name, string Command, string[] Prefix, string Missing);

    private static IEnumerable<Build> Builds()
    {
        yield return new("JIT (dotnet kalki-edge.dll)", "dotnet", [RepoPaths.KalkiEdge], File.Exists(RepoPaths.KalkiEdge) ? "" : "kalki-edge.dll not built beside the bench");
        var published = new List<string>();
        foreach (var (name, dir) in new[] { ("trimmed single-file", "trimmed"), ("trimmed + ReadyToRun", "r2r"), ("NativeAOT", "aot") })
        {
            var binary = Path.Combine(RepoPaths.Root, "out", "publish", "start", $"{dir}-linux-x64", "kalki-edge");
            published.Add(binary);
            yield return new($"{name} (linux-x64)", binary, [], File.Exists(binary) ? "" : $"not built: {binary} absent (make publish-start)");
        }

        if (Firmware.Binary is { } other && !published.Contains(other, StringComparer.Ordinal))
        {
            yield return new($"{Firmware.Variable} {other}", other, [], File.Exists(other) ? "" : $"{Firmware.Variable} names {other}, which does not exist");
        }
    }

    public void Run(SuiteReport report)
    {
        var dir = Directory.CreateTempSubdirectory("kalki-bench-start-");
        try
        {
            var mix = TrafficMix.Build(10, 11);
            var pcap = Path.Combine(dir.FullName, "eleven.pcap");
            var config = Path.Combine(dir.FullName, "site.yaml");
            mix.WritePcap(pcap);
            File.WriteAllText(config, MemorySuite.Config(mix, Path.Combine(RepoPaths.Root, "umboxes")));
            var builds = Builds().ToList();
            foreach (var (name, _, _, missing) in builds.Where(b => b.Missing.Length > 0))
            {
                report.Add($"{name}: replay of 11 frames", double.NaN, "ms", missing);
            }

            var present = builds.Where(b => b.Missing.Length == 0).ToList();
            var walls = present.ToDictionary(b => b.Name, _ => new List<double>());
            for (int run = 0; run < Runs; run++)
            {
                foreach (var (name, command, prefix, _) in present)
                {
                    walls[name].Add(ReplayMillis(command, [.. prefix, "replay", "--pcap", pcap, "--config", config, "--json"]));
                }
            }

            double? jit = null;
            foreach (var (name, _, _, _) in present)
            {
                var ms = walls[name];
                var median = Measure.Median(ms);
                jit ??= median;
                report.Add($"{name}: replay of 11 frames", median, "ms", $"wall, median of {ms.Count}; min {ms.Min():F0}, max {ms.Max():F0}");
                report.Add($"{name}: replay vs JIT", median / jit.Value, "ratio", "lower is faster");
            }

            foreach (var (name, command, prefix, _) in present)
            {
                var (ready, rss) = RunUntilSettled(command, prefix, dir.FullName, mix);
                report.Add($"{name}: `run` start to ready", ready, "ms", "10 devices, no interfaces (bridging nothing): config, packs and chains built, management listening");
                report.Add($"{name}: `run` steady RSS", rss / 1e6, "MB", "10 devices, 3 s after ready; target < 30 MB");
            }

            MeasureFirstFrame(report, present, dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static double ReplayMillis(string command, string[] args)
    {
        var sw = Stopwatch.StartNew();
        BoundedProcess.Output(TimeSpan.FromMinutes(2), command, args);
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>Starts <c>run</c> on its own data directory, control socket and an ephemeral port; returns (ms to the ready line, VmRSS 3 s later).</summary>
    private static (double ReadyMillis, long Rss) RunUntilSettled(string command, string[] prefix, string dir, TrafficMix mix)
    {
        var own = Directory.CreateDirectory(Path.Combine(dir, $"run-{Guid.NewGuid():N}")).FullName;
        var config = Path.Combine(own, "site.yaml");
        File.WriteAllText(config, $"data-dir: {Path.Combine(own, "data")}\nmanagement: {{listen: \"127.0.0.1:0\", control-socket: {Path.Combine(own, "control.sock")}}}\n" +
            MemorySuite.Config(mix, Path.Combine(RepoPaths.Root, "umboxes")));
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[.. prefix, "run", "--config", config])
        {
            psi.ArgumentList.Add(a);
        }

        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {command}");
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            while (true)
            {
                var line = p.StandardOutput.ReadLineAsync();
                if (!line.Wait(TimeSpan.FromMinutes(2)) || line.Result is not { } text)
                {
                    p.Kill(entireProcessTree: true);
                    throw new InvalidOperationException($"{command} run printed no ready line ({(p.HasExited ? $"exit {p.ExitCode}" : "killed after 2 min")}): {(stderr.Wait(TimeSpan.FromSeconds(10)) ? stderr.Result : "")}");
                }

                if (text.Contains(ReadyLine, StringComparison.Ordinal)) // after a syslog priority and tag ("<6>KalkiEdge[0] ") when there are any
                {
                    break;
                }
            }

            var ready = sw.Elapsed.TotalMilliseconds;
            _ = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            Thread.Sleep(TimeSpan.FromSeconds(3));
            var (_, rss) = MemorySuite.Status(p.Id);
            p.Kill();
            p.WaitForExit(TimeSpan.FromSeconds(10));
            return (ready, rss);
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }
}
