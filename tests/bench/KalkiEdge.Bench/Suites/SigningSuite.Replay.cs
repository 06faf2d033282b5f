using System.Diagnostics;
using System.Globalization;
using System.Text;
using KalkiEdge.Assurance.Signing;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Signing as the product runs it on a capture: <c>kalki-edge replay</c> of the firmware under test (KALKI_FIRMWARE:
/// the NativeAOT build <c>make test</c> checks), its engine sharded over threads as shipped, so the frames one engine
/// thread ran are tagged on the merging thread. The same capture and devices with signing off and with epoch
/// signing (emulated shim), alternated; each side's start-up, measured on the capture's first 1,000 frames, subtracted.
/// </summary>
public sealed partial class SigningSuite
{
    private const int ReplayRuns = 5;
    private const int StartupFrames = 1_000;

    private static void FirmwareReplay(SuiteReport report, TrafficMix mix, string dir)
    {
        var pcap = Path.Combine(dir, "mix.pcap");
        var small = Path.Combine(dir, "small.pcap");
        mix.WritePcap(pcap);
        mix.WritePcap(small, StartupFrames);
        var off = WriteSite(dir, mix, "off", "");
        var epoch = WriteSite(dir, mix, "epoch", $"hypervisor: {{backend: emulated, key: {Path.Combine(dir, "replay-hypervisor.key")}}}\nsigning: {{mode: epoch}}\n");
        Replay(small, epoch); // the emulated shim makes its key file at the first start, outside the timings

        Timing offWork = new(), offStart = new(), epochWork = new(), epochStart = new();
        for (int i = 0; i < ReplayRuns; i++)
        {
            offStart.Add(EngineThroughputSuite.Timed(() => Replay(small, off), CpuTime.Children, 1));
            offWork.Add(EngineThroughputSuite.Timed(() => Replay(pcap, off), CpuTime.Children, 1));
            epochStart.Add(EngineThroughputSuite.Timed(() => Replay(small, epoch), CpuTime.Children, 1));
            epochWork.Add(EngineThroughputSuite.Timed(() => Replay(pcap, epoch), CpuTime.Children, 1));
        }

        var frames = mix.Order.Length - StartupFrames;
        var note = $"{Firmware.Description} replay, {Devices} devices, firewall chain, median of {ReplayRuns} alternated, start-up subtracted";
        var (offWall, epochWall) = (offWork.Wall - offStart.Wall, epochWork.Wall - epochStart.Wall);
        report.Add("signing firmware replay off", frames / offWall, "frames/s", $"{note}; {offWork.Spread(mix.Order.Length)}");
        report.Add("signing firmware replay epoch", frames / epochWall, "frames/s", $"frame MAC {EpochMacs.Name(EpochMacs.Preferred)}; {epochWork.Spread(mix.Order.Length)}");
        var ratio = offWall / epochWall;
        var spread = PairedRatios.Describe(LessStartup(offWork.Walls, offStart.Wall), LessStartup(epochWork.Walls, epochStart.Wall), "run");
        report.Add("ratio signing firmware replay epoch / off", ratio, "x", $"throughput cost {(1 - ratio) * 100:F1}% (target < 15%: {(1 - ratio < 0.15 ? "met" : "NOT met")}); {spread}");
        var cpuRatio = (offWork.Cpu - offStart.Cpu) / (epochWork.Cpu - epochStart.Cpu);
        var cpuSpread = PairedRatios.Describe(LessStartup(offWork.Cpus, offStart.Cpu), LessStartup(epochWork.Cpus, epochStart.Cpu), "run");
        report.Add("ratio signing firmware replay epoch / off (processor time)", cpuRatio, "x", $"cost {(1 - cpuRatio) * 100:F1}% of the process's processor time, all its threads; {cpuSpread}");
    }

    /// <summary>Each run's time less the side's median start-up: the spread of the work alone.</summary>
    private static double[] LessStartup(IReadOnlyList<double> runs, double startup) => [.. runs.Select(t => t - startup)];

    private static string WriteSite(string dir, TrafficMix mix, string name, string sections)
    {
        var yaml = new StringBuilder(sections);
        yaml.Append(CultureInfo.InvariantCulture, $"umboxes: {Path.Combine(RepoPaths.Root, "umboxes")}\ndevices:\n");
        foreach (var d in mix.Devices)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{name: {d.Name}, mac: \"{d.Mac}\", ip: {d.Ip}, chain: {EngineThroughputSuite.FirewallChain}}}\n");
        }

        var path = Path.Combine(dir, $"site-{name}.yaml");
        File.WriteAllText(path, yaml.ToString());
        return path;
    }

    private static void Replay(string pcap, string config)
    {
        using var p = Process.Start(Firmware.StartInfo("replay", "--pcap", pcap, "--config", config, "--json"))!;
        var drain = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        var errors = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"kalki-edge replay of {pcap} did not finish within 5 minutes");
        }

        drain.Wait();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"kalki-edge replay of {pcap} with {config} failed (exit {p.ExitCode}): {errors.Result}");
        }
    }
}
