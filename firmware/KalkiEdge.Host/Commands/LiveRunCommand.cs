using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Appliance.Live;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.Host.Memory;
using KalkiEdge.Management;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// kalki-edge run with an <c>interfaces:</c> section: the live transparent bridge until SIGTERM or SIGINT.
/// Refuses to start (exit 1) when anything would let frames bypass the chains, so that while this process is
/// not running nothing crosses between the ports.
/// </summary>
internal static partial class LiveRunCommand
{
    public const string MonitorsNeedDeviceAddress = "devices have monitors but 'interfaces' has no device-address: the appliance reaches its devices only from its own device-side address (e.g. device-address: 192.0.2.2/24)";

    private static readonly TimeSpan StatisticsPeriod = TimeSpan.FromSeconds(1);

    /// <param name="signing">Null when signing is off (the start-up has already warned loudly).</param>
    public static int Execute(EdgeAppliance appliance, ArgNode section, ManagementHost management, LiveSigning? signing, ShutdownSignal stop, ILogger log)
    {
        var diagnostics = new DiagnosticBag();
        var config = InterfacesConfig.Parse(section, diagnostics);
        if (config is null)
        {
            foreach (var d in diagnostics.Items)
            {
                Console.Error.WriteLine(d);
            }

            return ExitCodes.Invalid;
        }

        config.DeviceAddress?.CheckReach(appliance.Engine.Devices.All.Select(d => (d.Name, (IReadOnlyList<UInt128>)d.Ips.ToArray())), diagnostics);
        foreach (var d in diagnostics.Items)
        {
            Console.Error.WriteLine(d);
        }

        var host = new HostNetwork();
        var problems = LivePreflight.Check(config, host, LivePreflight.LibpcapInstalled(), CapturePrivileges.CanCapture());
        ulong deviceSideMac = 0;
        if (config.DeviceAddress is { } own)
        {
            if (own.Locate(config.Devices, out var notThere) is { } located)
            {
                deviceSideMac = located.Mac;
            }
            else
            {
                problems = [.. problems, notThere!];
            }
        }

        if (config.DeviceAddress is null && appliance.Monitored.Count > 0)
        {
            problems = [.. problems, MonitorsNeedDeviceAddress];
        }

        problems = diagnostics.HasErrors ? [.. problems, "the device-side address is refused (above)"] : problems;
        if (problems.Count > 0)
        {
            foreach (var p in problems)
            {
                Console.Error.WriteLine($"kalki-edge run: {p}");
            }

            Console.Error.WriteLine("kalki-edge run: refusing to start the bridge");
            return ExitCodes.Invalid;
        }

        using var bridge = Open(appliance, config, host, signing, deviceSideMac);
        if (bridge is null)
        {
            return ExitCodes.Invalid;
        }

        var exit = Run(appliance, config, bridge, management, stop, log);
        if (signing is not null)
        {
            Console.WriteLine(signing.Describe());
            Console.Out.Flush();
        }

        return exit;
    }

    private static Bridge? Open(EdgeAppliance appliance, InterfacesConfig config, HostNetwork host, LiveSigning? signing, ulong deviceSideMac)
    {
        var opened = new List<LivePort>();
        try
        {
            foreach (var name in config.All)
            {
                opened.Add(LivePort.Open(name, new LivePortOptions
                {
                    Snaplen = LivePreflight.SnaplenFor(config, host, name),
                    BufferBytes = config.BufferMegabytes * 1024 * 1024,
                    BusyPoll = TimeSpan.FromMicroseconds(config.BusyPollMicros),
                }));
            }
        }
        catch (LivePortException e)
        {
            Console.Error.WriteLine($"kalki-edge run: {e.Message}");
            opened.ForEach(p => p.Dispose());
            return null;
        }

        // The appliance's own traffic, the device-side address's included, is the kernel's: never bridged.
        var management = new ManagementFilter([.. opened.Select(p => p.Mac), deviceSideMac], config.OwnAddresses);
        return new Bridge(appliance.Engine, appliance.CreateContext, opened[..^1], opened[^1], management, config.MacTableCapacity)
        {
            CaptureNice = config.Nice,
            CaptureRealtimePriority = config.RealtimePriority,
            TransmitBatch = config.TransmitBatch,
            PollCpu = config.PollCpu,
            CreateEgress = signing is null ? null : signing.CreateEgress,
        };
    }

    private static int Run(EdgeAppliance appliance, InterfacesConfig config, Bridge bridge, ManagementHost management, ShutdownSignal stop, ILogger log)
    {
        // The control clock runs on from this anchor (Stopwatch-timed), so live it is the wall clock, on the same
        // scale as the kernel's capture timestamps. Anchored once: re-anchoring while the control thread reads
        // the clock could tear it.
        appliance.BeginFrame((DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10);
        // The control loop is on every reaction's path, between two capture threads: same priority as they.
        appliance.Control.Start(() => CaptureThreadPriority.TryApply(config.Nice, config.RealtimePriority));
        bridge.Start();
        using var monitors = MonitorWiring.Start(appliance, config.DeviceAddress is { } own ? System.Net.IPAddress.Parse(Ip.Format(own.Address)) : null, m => LogMonitor(log, m));
        using var sensors = SensorWiring.Start(appliance, SensorWiring.Hardware(appliance), appliance.Control.Telemetry, m => LogMonitor(log, m));
        management.Healthy = () => bridge.Failure is null;
        management.WatchPorts(() => bridge.Status);
        // A polling core that could not be pinned has failed the bridge before its first frame: it is never announced
        // as bridging (the loop below ends at once and the failure is reported).
        if (bridge.Failure is null)
        {
            management.Ready($"bridging {string.Join(", ", config.Devices)} <-> {config.Uplink}");
            var snaplens = string.Join(", ", bridge.Ports.OfType<LivePort>().Select(p => $"{p.Name} {p.Snaplen}"));
            Console.WriteLine($"KalkiEdge live bridge: device ports [{string.Join(", ", config.Devices)}] <-> uplink {config.Uplink}, {appliance.Engine.Devices.Count} devices, snaplen {snaplens}, buffer {config.BufferMegabytes} MB per port{(config.PollCpu is { } cpu ? $", one polling capture thread on CPU {cpu}" : "")} (SIGTERM or Ctrl-C stops)");
            Console.Out.Flush();
        }

        StartupPages.Release(Console.Error);
        var last = bridge.RefreshStatistics();
        var collectorAtStart = CollectorActivity.Now();
        bool checkedPriority = false;
        WaitHandle[] stopOrFault = [stop.Token.WaitHandle, bridge.Faulted];
        while (WaitHandle.WaitAny(stopOrFault, StatisticsPeriod) == WaitHandle.WaitTimeout)
        {
            if (!checkedPriority && bridge.ThreadsAtNormalPriority > 0)
            {
                Console.Error.WriteLine($"kalki-edge run: capture threads did not get their priority (real-time {config.RealtimePriority}, nice {config.Nice}: needs CAP_SYS_NICE and a real-time budget): frames may be lost and reactions delayed when the CPU is busy");
            }

            checkedPriority = true;
            var now = bridge.RefreshStatistics();
            ReportLosses(last, now, log);
            last = now;
        }

        bridge.Stop();
        var collector = CollectorActivity.Now().DescribeSince(collectorAtStart);
        // Stop the control loop, then evaluate (and print) what the last frames raised, on this thread.
        appliance.Control.Dispose();
        appliance.EndFrame();
        PrintCounters(appliance.Engine, bridge);
        Console.WriteLine(collector);
        Console.Out.Flush();
        if (bridge.Failure is { } failure)
        {
            Console.Error.WriteLine($"kalki-edge run: bridge stopped: {failure.Message}");
            return ExitCodes.Invalid;
        }

        return ExitCodes.Ok;
    }

    /// <summary>Losses are printed when they happen: a silent drop is the one failure an operator cannot see.</summary>
    private static void ReportLosses(IReadOnlyList<PortStatus> before, IReadOnlyList<PortStatus> after, ILogger log)
    {
        foreach (var (b, a) in before.Zip(after))
        {
            long kernel = a.Capture.KernelDropped - b.Capture.KernelDropped;
            long iface = a.Capture.InterfaceDropped - b.Capture.InterfaceDropped;
            long send = a.SendErrors - b.SendErrors;
            long truncated = a.Truncated - b.Truncated;
            if (kernel + iface + send + truncated > 0)
            {
                LogLoss(log, a.Name, kernel, iface, send, truncated);
            }
        }
    }

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "{Message}")]
    private static partial void LogMonitor(ILogger logger, string message);

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "LOSS {Port}: capture ring dropped {RingDropped}, interface dropped {InterfaceDropped}, send failed {SendFailed}, over snaplen {Truncated} in the last second")]
    private static partial void LogLoss(ILogger logger, string port, long ringDropped, long interfaceDropped, long sendFailed, long truncated);

    private static void PrintCounters(PacketEngine engine, Bridge bridge)
    {
        var c = engine.Counters;
        Console.WriteLine();
        Console.WriteLine($"{c.Frames} frames: {c.Forwarded} forwarded, {c.Dropped} dropped, {c.Replied} replied, {c.Malformed} malformed, {c.UnknownDevice} from unknown devices, {c.Spoofed} spoofed; {bridge.Counters.Management} management frames not bridged, {bridge.Counters.Flooded} flooded to all device ports");
        Console.WriteLine($"{"port",-10} {"received",10} {"sent",10} {"send-err",9} {"truncated",9} {"pcap-recv",10} {"ring-drop",9} {"if-drop",8}");
        foreach (var p in bridge.Status)
        {
            Console.WriteLine($"{p.Name,-10} {p.Received,10} {p.Sent,10} {p.SendErrors,9} {p.Truncated,9} {p.Capture.Received,10} {p.Capture.KernelDropped,9} {p.Capture.InterfaceDropped,8}");
        }

        Console.Out.Flush();
    }
}
