extern alias firmware;

using System.Diagnostics;
using System.Globalization;
using System.Text;
using firmware::KalkiEdge.Host.Memory;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Scale: resident memory of the real kalki-edge process replaying traffic for 10,000 devices under the five packs
/// (target: under 100 MB), against the same process with 10 devices (the baseline: runtime, code and buffers that do
/// not depend on the device count), in one run. The figures that stay meaningful on a busy machine are printed apart:
/// the baseline, the cost added per device, and where the resident pages are (anonymous: the GC heap, the runtime's
/// own heaps and thread stacks; file: the runtime and the assemblies mapped from disk; shared: JIT-compiled code,
/// which .NET keeps in a shared memory file).
/// </summary>
public sealed class MemorySuite : IBenchSuite
{
    private const double TargetMegabytes = 100;
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
            double measured = large.Steady / 1e6;
            string verdict = measured < TargetMegabytes
                ? $"target < {TargetMegabytes:F0} MB: MET ({TargetMegabytes - measured:F1} MB to spare)"
                : $"target < {TargetMegabytes:F0} MB: NOT MET ({measured - TargetMegabytes:F1} MB over)";
            report.Add("steady RSS, 10,000 devices under packs", measured, "MB", verdict);
            report.Add("steady RSS, 10 devices (baseline)", small.Steady / 1e6, "MB", "kalki-edge replay, 200k frames; last sample before exit");
            report.Add("added per device (steady)", (large.Steady - small.Steady) / 9_990.0 / 1e3, "KB/device", "(10,000-device RSS - baseline) / 9,990");
            report.Add("peak RSS (VmHWM), 10 devices", small.Peak / 1e6, "MB", "includes start-up and config parsing");
            report.Add("peak RSS (VmHWM), 10,000 devices", large.Peak / 1e6, "MB");
            foreach (var (name, run) in new[] { ("10 devices", small), ("10,000 devices", large) })
            {
                report.Add($"  of which anonymous, {name}", run.Parts.Anon / 1e6, "MB", "GC heap, runtime heaps, stacks");
                report.Add($"  of which file-backed, {name}", run.Parts.File / 1e6, "MB", "runtime and assemblies mapped from disk");
                report.Add($"  of which shared memory, {name}", run.Parts.Shmem / 1e6, "MB", "JIT-compiled code (the runtime's double-mapped code heap)");
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private readonly record struct Resident(long Anon, long File, long Shmem);

    private static (long Peak, long Steady, Resident Parts) Rss(string dir, int devices, int frames)
    {
        var mix = TrafficMix.Build(devices, frames);
        var pcap = Path.Combine(dir, $"mix-{devices}.pcap");
        var config = Path.Combine(dir, $"site-{devices}.yaml");
        mix.WritePcap(pcap);
        File.WriteAllText(config, Config(mix, Path.Combine(RepoPaths.Root, "umboxes")));
        using var p = Process.Start(Firmware.StartInfo("replay", "--pcap", pcap, "--config", config, "--json"))!;
        var drain = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        var errors = p.StandardError.ReadToEndAsync();
        long peak = 0, steady = 0;
        var parts = default(Resident);
        var deadline = Stopwatch.StartNew();
        while (!p.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(5))
        {
            var fields = StatusBytes(p.Id);
            peak = Math.Max(peak, fields.GetValueOrDefault("VmHWM"));
            if (fields.GetValueOrDefault("VmRSS") is > 0 and var rss)
            {
                steady = rss;
                parts = Parts(fields);
            }

            Thread.Sleep(50);
        }

        if (!p.WaitForExit(TimeSpan.FromSeconds(10)) || p.ExitCode != 0)
        {
            throw new InvalidOperationException($"kalki-edge replay failed for {devices} devices: {errors.Result}");
        }

        drain.Wait();
        return (peak, steady, parts);
    }

    /// <summary>(VmHWM, VmRSS) in bytes, or zeros once the process is gone.</summary>
    internal static (long Peak, long Rss) Status(int pid)
    {
        var fields = StatusBytes(pid);
        return (fields.GetValueOrDefault("VmHWM"), fields.GetValueOrDefault("VmRSS"));
    }

    /// <summary>
    /// The resident bytes of the process's socket mappings (<c>socket:[inode]</c> in /proc/PID/smaps): the capture
    /// rings libpcap maps from the kernel (TPACKET_V2), resident whole from the moment they open; 0 once the process
    /// is gone.
    /// </summary>
    internal static long SocketMappedRss(int pid)
    {
        try
        {
            using var smaps = new StreamReader($"/proc/{pid}/smaps");
            return FileMapping.Parse(smaps).Where(m => m.Path.StartsWith("socket:[", StringComparison.Ordinal)).Sum(m => m.ResidentKb) * 1024;
        }
        catch (IOException)
        {
            return 0; // The process exited between the check and the read.
        }
    }

    /// <summary>VmRSS split as the kernel counts it (RssAnon, RssFile, RssShmem).</summary>
    private static Resident Parts(Dictionary<string, long> fields) =>
        new(fields.GetValueOrDefault("RssAnon"), fields.GetValueOrDefault("RssFile"), fields.GetValueOrDefault("RssShmem"));

    /// <summary>The memory lines of /proc/PID/status (VmHWM, VmRSS, RssAnon, ...) in bytes; empty once the process is gone.</summary>
    private static Dictionary<string, long> StatusBytes(int pid)
    {
        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if ((line.StartsWith("Vm", StringComparison.Ordinal) || line.StartsWith("Rss", StringComparison.Ordinal)) && line.EndsWith(" kB", StringComparison.Ordinal))
                {
                    fields[line[..line.IndexOf(':', StringComparison.Ordinal)]] = Kilobytes(line) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // The process exited between the check and the read.
        }

        return fields;
    }

    private static long Kilobytes(string line) => long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

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
