using System.Diagnostics;
using System.Text;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Reaction time (FINISH − STIMULUS, compute only, replay clock) of 1,000 transitions across 1,000
/// devices while the engine forwards background traffic.
/// The baseline is KalKi's published ~3 s reaction.
/// </summary>
public sealed class ReactionSuite : IBenchSuite
{
    private const double KalkiReactionMicros = 3_000_000;

    public string Name => "reaction";

    public string Description => "threat reaction p50/p99/max over 1,000 transitions with background traffic (compute, replay clock)";

    public void Run(SuiteReport report)
    {
        MeasureReaction(report, devices: 1_000, backgroundFrames: 400_000);
    }

    private static void MeasureReaction(SuiteReport report, int devices, int backgroundFrames)
    {
        var mix = TrafficMix.Build(devices, backgroundFrames);
        var observer = new RecordingObserver();
        var appliance = EngineThroughputSuite.Build(mix, "", observer, type: "generic-iot");
        var attacks = mix.Devices.Select(DefaultLogin).ToArray();

        // Attacks are spread evenly through the background traffic: one attack frame per device.
        var pipeline = new FramePipeline(appliance);
        var frame = new Frame();
        long t = TrafficMix.Start;
        int every = backgroundFrames / devices;
        var wall = Stopwatch.StartNew();
        for (int i = 0; i < mix.Order.Length; i++)
        {
            Play(pipeline, frame, mix.Templates[mix.Order[i]], t++);
            if (i % every == 0 && i / every < devices)
            {
                Play(pipeline, frame, attacks[i / every], t++);
            }
        }

        var seconds = wall.Elapsed.TotalSeconds;
        var reactions = observer.Transitions.Select(tr => (double)tr.ReactionMicros).ToList();
        report.Add("transitions observed", reactions.Count, "count", $"{devices} devices, {backgroundFrames:N0} background frames in {seconds:F1}s");
        var p50 = Measure.Percentile(reactions, 50);
        var p99 = Measure.Percentile(reactions, 99);
        report.Add("reaction p50 (FINISH-STIMULUS)", p50, "µs");
        report.Add("reaction p99", p99, "µs", "target < 1000 µs");
        report.Add("reaction max", reactions.Count == 0 ? double.NaN : reactions.Max(), "µs");
        report.Add("KalKi ~3 s / our p99", KalkiReactionMicros / Math.Max(1, p99), "x", "target ≥ 3000x");
    }

    private static void Play(FramePipeline pipeline, Frame frame, byte[] bytes, long t)
    {
        frame.Load(bytes, t, Direction.FromDevice);
        pipeline.Process(frame);
    }

    /// <summary>One HTTP request with the default admin:admin credentials toward the device's port 80.</summary>
    private static byte[] DefaultLogin(Host device, int i)
    {
        var attacker = new Host("attacker", "02:fe:00:00:0a:01", "203.0.113.66");
        var request = Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {device.Ip}\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n");
        return PacketFactory.Tcp(attacker, device, (ushort)(30000 + (i % 30000)), 80, syn: false, ack: true, fin: false, 1, 1, request, psh: true);
    }
}
