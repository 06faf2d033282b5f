using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Process start to first frame forwarded, on the netns testbed (tests/testbed): hue sends a numbered UDP frame
/// to cloud every millisecond (raw frames with cloud's MAC, so no ARP waits on the down bridge) while nothing
/// forwards; the wall clock is noted, <c>kalki-edge run</c> starts in the appliance namespace bridging dev0 and up0
/// with 10 devices (the testbed's four and six more, nine under packs, hue on <c>pass</c>), and the first frame
/// cloud receives ends the measurement (tests/testbed/traffic/first_frame.py; resolution 1 ms, `ip netns exec`
/// included, the same for every build). Its RSS 3 s later, still forwarding the trickle, is the bridging RSS; the
/// same without the capture rings' resident pages (libpcap's kernel rings mapped into the process, resident whole
/// from the moment they open, the same for every build) is reported beside it.
/// Needs root, iproute2 and python3; without them the part reports why and the rest of the suite runs.
/// </summary>
public sealed partial class StartSuite
{
    private const int TrickleSeconds = 150;

    private static readonly Prerequisite[] TestbedNeeds =
        [Prerequisite.Root, Prerequisite.Command("ip", "iproute2"), Prerequisite.Command("python3", "python3")];

    private static void MeasureFirstFrame(SuiteReport report, IReadOnlyList<Build> present, string work)
    {
        if (Prerequisite.SkipLine("the first-frame part", TestbedNeeds) is { } skip)
        {
            report.Add("start to first frame forwarded", double.NaN, "ms", skip);
            return;
        }

        var prefix = TestbedProcesses.Script(TimeSpan.FromSeconds(10), "new-prefix").Trim();
        try
        {
            TestbedProcesses.Script(TimeSpan.FromSeconds(120), "--prefix", prefix, "up");
            var hosts = Hosts(prefix);
            var samples = present.ToDictionary(b => b.Name, _ => new List<(double Millis, long Rss, long Rings)>());
            for (int run = 0; run < FirstFrameRuns; run++)
            {
                foreach (var build in present)
                {
                    samples[build.Name].Add(FirstFrame(prefix, build, TestbedConfig(work, hosts), hosts["cloud"]));
                }
            }

            double? jit = null;
            foreach (var build in present)
            {
                var ms = samples[build.Name].Select(s => s.Millis).ToList();
                var median = Measure.Median(ms);
                jit ??= median;
                report.Add($"{build.Name}: start to first frame forwarded", median, "ms",
                    $"testbed, 10 devices; median of {ms.Count}, min {ms.Min():F0}, max {ms.Max():F0}; target < 300 ms: {(median < 300 ? "met" : "MISSED")}");
                report.Add($"{build.Name}: first frame vs JIT", median / jit.Value, "ratio", "lower is faster");
                var rss = Measure.Median(samples[build.Name].Select(s => (double)s.Rss).ToList());
                report.Add($"{build.Name}: bridging RSS", rss / 1e6, "MB",
                    $"10 devices, 3 s after the first frame, 1 kfps crossing; median of {ms.Count}; target < 30 MB: {(rss < 30e6 ? "met" : "MISSED")}");
                var own = Measure.Median(samples[build.Name].Select(s => (double)(s.Rss - s.Rings)).ToList());
                var rings = Measure.Median(samples[build.Name].Select(s => (double)s.Rings).ToList());
                report.Add($"{build.Name}: bridging RSS without the capture rings", own / 1e6, "MB",
                    $"the same runs less the rings' resident pages (median {rings / 1e6:F1} MB: dev0's and up0's at the default buffer-mb)");
            }
        }
        finally
        {
            TestbedProcesses.Script(TimeSpan.FromSeconds(120), "--prefix", prefix, "down");
        }
    }

    /// <summary>Start-to-first-frame runs per build (KALKI_BENCH_FIRST_FRAME_RUNS, default 5).</summary>
    private static int FirstFrameRuns => int.TryParse(Environment.GetEnvironmentVariable("KALKI_BENCH_FIRST_FRAME_RUNS"), out var n) ? Math.Clamp(n, 1, 100) : 5;

    private sealed record Host(string Name, string Mac, string Ip);

    private static Dictionary<string, Host> Hosts(string prefix)
    {
        using var status = JsonDocument.Parse(TestbedProcesses.Script(TimeSpan.FromSeconds(30), "--prefix", prefix, "status", "--json"));
        return status.RootElement.GetProperty("hosts").EnumerateArray()
            .Select(h => new Host(h.GetProperty("name").GetString()!, h.GetProperty("mac").GetString()!, h.GetProperty("ip").GetString()!))
            .ToDictionary(h => h.Name);
    }

    /// <summary>One run: (ms from just before the process starts to the first frame at cloud, RSS 3 s later, the capture rings' part of it).</summary>
    private static (double Millis, long Rss, long Rings) FirstFrame(string prefix, Build build, string config, Host cloud)
    {
        var trickle = Path.Combine(RepoPaths.Testbed, "traffic", "first_frame.py");
        using var receiver = Start("ip", ["netns", "exec", $"{prefix}-cloud", "python3", trickle, "recv", "--duration", $"{TrickleSeconds}"]);
        using var sender = Start("ip", ["netns", "exec", $"{prefix}-hue", "python3", trickle, "send", "--target", cloud.Ip, "--dst-mac", cloud.Mac, "--duration", $"{TrickleSeconds}"]);
        Process? appliance = null;
        try
        {
            AwaitLine(receiver.StandardError, "ready", "first_frame.py recv");
            AwaitLine(sender.StandardError, "sending", "first_frame.py send");
            var started = UnixNanos();
            appliance = Start("ip", ["netns", "exec", $"{prefix}-app", build.Command, .. build.Prefix, "run", "--config", config]);
            _ = appliance.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            var stderr = appliance.StandardError.ReadToEndAsync();
            var line = receiver.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(TrickleSeconds + 10)) || line.Result is not { } json)
            {
                throw new InvalidOperationException($"first_frame.py recv printed nothing; {build.Name} {(appliance.HasExited ? $"exited {appliance.ExitCode}: {stderr.Result}" : "still running")}");
            }

            using var result = JsonDocument.Parse(json);
            if (result.RootElement.GetProperty("firstNs").ValueKind != JsonValueKind.Number)
            {
                throw new InvalidOperationException($"no frame crossed within {TrickleSeconds} s of starting {build.Name} ({(appliance.HasExited ? $"it exited {appliance.ExitCode}: {stderr.Result}" : "it is running")}); config {config}:\n{File.ReadAllText(config)}");
            }

            var millis = (result.RootElement.GetProperty("firstNs").GetInt64() - started) / 1e6;
            Thread.Sleep(TimeSpan.FromSeconds(3));
            var (_, rss) = MemorySuite.Status(appliance.Id);
            return (millis, rss, MemorySuite.SocketMappedRss(appliance.Id));
        }
        finally
        {
            foreach (var p in new[] { appliance, sender, receiver }.OfType<Process>().Where(p => !p.HasExited))
            {
                if (!TestbedProcesses.Terminate(p, TimeSpan.FromSeconds(20)))
                {
                    p.Kill(entireProcessTree: true);
                }
            }

            appliance?.Dispose();
        }
    }

    /// <summary>A run's config: the testbed's device hosts plus six absent ones, hue on pass (the sender), the rest under packs.</summary>
    private static string TestbedConfig(string work, Dictionary<string, Host> hosts)
    {
        var own = Directory.CreateDirectory(Path.Combine(work, $"first-frame-{Guid.NewGuid():N}")).FullName;
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"umboxes: {Path.Combine(RepoPaths.Root, "umboxes")}\n");
        yaml.Append(CultureInfo.InvariantCulture, $"data-dir: {Path.Combine(own, "data")}\nmanagement: {{listen: \"127.0.0.1:0\", control-socket: {Path.Combine(own, "control.sock")}}}\n");
        yaml.Append("interfaces: {devices: [dev0], uplink: up0}\ndevices:\n");
        string[] types = ["philips-hue-bridge", "wemo-insight", "udoo-neo", "dlink-camera", "generic-iot"];
        var devices = new[] { "hue", "wemo", "udoo", "cam" }.Select(n => hosts[n])
            .Concat(Enumerable.Range(0, 6).Select(i => new Host($"extra{i}", $"02:4b:45:01:01:{i:x2}", $"192.0.2.{30 + i}")));
        int k = 0;
        foreach (var d in devices)
        {
            var how = d.Name == "hue" ? "chain: \"pass\"" : $"type: {types[k++ % types.Length]}";
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{name: {d.Name}, mac: \"{d.Mac}\", ip: {d.Ip}, {how}}}\n");
        }

        var path = Path.Combine(own, "site.yaml");
        File.WriteAllText(path, yaml.ToString());
        return path;
    }

    private static Process Start(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
    }

    private static void AwaitLine(StreamReader reader, string expected, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < until)
        {
            var line = reader.ReadLineAsync();
            if (!line.Wait(until - DateTime.UtcNow) || line.Result is not { } text)
            {
                break;
            }

            if (text.Contains(expected, StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new InvalidOperationException($"{what} did not print '{expected}' within 30 s");
    }

    private static long UnixNanos() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

}
