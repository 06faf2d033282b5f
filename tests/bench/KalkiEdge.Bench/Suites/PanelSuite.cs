using System.Diagnostics;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel;
using KalkiEdge.Panel.Button;
using KalkiEdge.Panel.Display;
using KalkiEdge.Panel.Pairing;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// The field panel's cost to the engine and its speed at admitting a device.
/// Throughput: the engine's frame rate with the panel on (pairing window open, the settler thread, an in-memory
/// 20×4 LCD refreshed by its timer from the live status) vs off, interleaved in the same run, medians.
/// Target ≥ 0.98×. Admission: a new MAC's first frame in an open window (a Hue bridge's DHCP DISCOVER: Philips
/// OUI and host name, enough to decide) to its pack's chain in force (the MAC attributed by the device table),
/// through the live path: capture thread, settler woken by the evidence, the runtime registry publishing the
/// device (its commit to the real SQLite store follows on the writer). Target p99 &lt; 10 ms.
/// </summary>
public sealed class PanelSuite : IBenchSuite
{
    private const int Devices = 100;
    private const int Repetitions = 5;
    private const int Admissions = 200;
    private const string Chain = "firewall(default: allow, rules: [{action: drop, proto: tcp, rport: 23}]) -> rate-limit(pps: 100000)";

    public string Name => "panel";

    public string Description => "engine frame rate with the panel on vs off; first frame of a paired device to its chain in force";

    public void Run(SuiteReport report)
    {
        Throughput(report);
        Admission(report);
    }

    private static void Throughput(SuiteReport report)
    {
        int frames = EngineThroughputSuite.Frames;
        var mix = TrafficMix.Build(Devices, frames);
        var off = EngineThroughputSuite.Build(mix, Chain);
        var on = EngineThroughputSuite.Build(mix, Chain);
        var pairing = on.EnablePairing(PairingSettings.Default);
        using var panel = Panel(on, pairing);
        panel.Start();
        pairing.Window.OpenOrExtend(TrafficMix.Start);
        var times = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        for (int rep = 0; rep < Repetitions; rep++)
        {
            // Alternating which goes first (ABBA) keeps warm-up and a neighbour's load from favouring one side.
            foreach (var panelOn in rep % 2 == 0 ? new[] { false, true } : [true, false])
            {
                pairing.Window.OpenOrExtend(TrafficMix.Start); // the window stays open over every frame
                times[panelOn].Add(Measure.MedianSeconds(1, () => mix.Play(new FramePipeline(panelOn ? on : off))));
            }
        }

        var offFps = frames / Measure.Median(times[false]);
        var onFps = frames / Measure.Median(times[true]);
        var note = $"{Devices} devices, {frames:N0} frames, median of {Repetitions} interleaved";
        report.Add("panel off: engine", offFps, "frames/s", note);
        report.Add("panel on: engine (window open, settler, LCD)", onFps, "frames/s", note);
        var ratio = onFps / offFps;
        report.Add("ratio panel on / off", ratio, "x", $"target >= 0.98: {(ratio >= 0.98 ? "met" : "NOT met")}");
    }

    private static void Admission(SuiteReport report)
    {
        var data = Directory.CreateTempSubdirectory("kalki-bench-panel-");
        try
        {
            var mix = TrafficMix.Build(1, 1);
            var config = EngineThroughputSuite.Config(mix, Chain).WithDataDir(data.FullName);
            var diagnostics = new Core.DiagnosticBag();
            using var appliance = EdgeAppliance.Build(config, diagnostics, new NullObserver(), persist: true)
                ?? throw new InvalidOperationException("bench configuration invalid:\n" + diagnostics);
            var pairing = appliance.EnablePairing(PairingSettings.Default with { MaxCandidates = 64 });
            using var panel = Panel(appliance, pairing);
            panel.Start();
            var context = appliance.CreateContext();
            var frame = new Frame();
            var latencies = new List<double>();
            var failed = 0;
            for (int i = 0; i < Admissions; i++)
            {
                var now = panel.NowMicros;
                if (i % 50 == 0)
                {
                    pairing.Window.Close(now);
                    pairing.Window.OpenOrExtend(now + 1); // a new window: a new candidate budget
                }

                var mac = 0x00_17_88_00_00_00UL + (uint)(i + 1);
                var hue = new Host($"hue{i}", Mac.Format(mac), "0.0.0.0");
                var discover = PacketFactory.Udp(hue, new Host("b", "ff:ff:ff:ff:ff:ff", "255.255.255.255"), 68, 67, PairingTraffic.Dhcp(PairingTraffic.Hue, hue with { Ip = "192.0.2.10" }, 1));
                frame.Load(discover, now + 2, Direction.FromDevice);
                var sw = Stopwatch.StartNew();
                appliance.Engine.Process(frame, context); // the capture thread's part
                while (appliance.Engine.Devices.ByMac(mac) is null && sw.Elapsed < TimeSpan.FromSeconds(2))
                {
                    Thread.SpinWait(20);
                }

                if (appliance.Engine.Devices.ByMac(mac) is null)
                {
                    failed++;
                    continue;
                }

                latencies.Add(sw.Elapsed.TotalMilliseconds);
            }

            var note = $"{latencies.Count} of {Admissions} admitted (Philips OUI + DHCP host name), store on disk";
            report.Add("first frame to chain in force p50", Measure.Percentile(latencies, 50), "ms", note);
            report.Add("first frame to chain in force p99", Measure.Percentile(latencies, 99), "ms", $"target < 10: {(failed == 0 && Measure.Percentile(latencies, 99) < 10 ? "met" : "NOT met")}");
            report.Add("first frame to chain in force max", latencies.Count == 0 ? double.NaN : latencies.Max(), "ms", failed == 0 ? "" : $"{failed} not admitted within 2 s");
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    /// <summary>The panel as a live run builds it, with an in-memory 20×4 LCD; no GPIO (the button only opens windows).</summary>
    private static PanelRuntime Panel(EdgeAppliance appliance, DevicePairing pairing)
    {
        var status = new PanelStatusSource(appliance, "192.0.2.2:443", "emulated", "off");
        var screen = new PanelScreen(new MemoryDisplay(20, 4), TimeSpan.FromSeconds(4), TimeProvider.System);
        return new PanelRuntime(screen, new ButtonGestures(TimeProvider.System), pairing, status.Snapshot, new NoReset(), TimeProvider.System, _ => { }, settlePairing: true);
    }

    private sealed class NoReset : IFactoryReset
    {
        public void Request() => throw new InvalidOperationException("the benchmark never resets");
    }
}
