using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Scale: peak resident memory (VmHWM) of the real kalki-edge process replaying traffic for 10,000
/// devices under the five packs, against the same process with 10 devices (baseline, same run).
/// </summary>
public sealed class MemorySuite : IBenchSuite
{
    private static readonly string[] Packs = ["generic-iot", "dlink-camera", "philips-hue-bridge", "udoo-neo", "wemo-insight"];

    public string Name => "memory";

    public string Description => "peak RSS of `kalki-edge replay` with 10 vs 10,000 devices under packs (child processes)";

    public void Run(SuiteReport report)
    {
        var dir = Directory.CreateTempSubdirectory("kalki-mem-");
        try
        {
            var small = Rss(dir.FullName, devices: 10, frames: 200_000);
            var large = Rss(dir.FullName, devices: 10_000, frames: 200_000);
            report.Add("steady RSS, 10 devices (baseline)", small.Steady / 1e6, "MB", "kalki-edge replay, 200k frames; last sample before exit");
            report.Add("steady RSS, 10,000 devices under packs", large.Steady / 1e6, "MB", "target < 100 MB");
            report.Add("peak RSS (VmHWM), 10 devices", small.Peak / 1e6, "MB", "includes start-up and config parsing");
            report.Add("peak RSS (VmHWM), 10,000 devices", large.Peak / 1e6, "MB");
            report.Add("added per device (steady)", (large.Steady - small.Steady) / 9_990.0 / 1e3, "KB/device");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static (long Peak, long Steady) Rss(string dir, int devices, int frames)
    {
        var mix = TrafficMix.Build(devices, frames);
        var pcap = Path.Combine(dir, $"mix-{devices}.pcap");
        var config = Path.Combine(dir, $"site-{devices}.yaml");
        mix.WritePcap(pcap);
        File.WriteAllText(config, Config(mix, Path.Combine(RepoPaths.Root, "umboxes")));
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { RepoPaths.KalkiEdge, "replay", "--pcap", pcap, "--config", config, "--json" })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var drain = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        var errors = p.StandardError.ReadToEndAsync();
        long peak = 0, steady = 0;
        var deadline = Stopwatch.StartNew();
        while (!p.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(5))
        {
            var (hwm, rss) = Status(p.Id);
            peak = Math.Max(peak, hwm);
            steady = rss > 0 ? rss : steady;
            Thread.Sleep(50);
        }

        if (!p.WaitForExit(TimeSpan.FromSeconds(10)) || p.ExitCode != 0)
        {
            throw new InvalidOperationException($"kalki-edge replay failed for {devices} devices: {errors.Result}");
        }

        drain.Wait();
        return (peak, steady);
    }

    /// <summary>(VmHWM, VmRSS) in bytes, or zeros once the process is gone.</summary>
    internal static (long Peak, long Rss) Status(int pid)
    {
        long peak = 0, rss = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kilobytes(line) * 1024;
                }
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // The process exited between the check and the read.
        }

        return (peak, rss);
    }

    private static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    internal static string Config(TrafficMix mix, string umboxes)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"umboxes: {umboxes}");
        sb.AppendLine("devices:");
        for (int i = 0; i < mix.Devices.Count; i++)
        {
            var d = mix.Devices[i];
            sb.AppendLine(CultureInfo.InvariantCulture, $"  - {{name: {d.Name}, mac: \"{d.Mac}\", ip: {d.Ip}, type: {Packs[i % Packs.Length]}}}");
        }

        return sb.ToString();
    }
}
