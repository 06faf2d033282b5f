using System.Diagnostics;
using System.Runtime.ExceptionServices;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Live;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// The live bridge's signing pipeline without the network: one capture thread's loop (the engine, then its
/// <see cref="IBridgeEgress"/>, as <see cref="Bridge"/> runs it) into a sink that copies each frame as a transmit batch
/// does, unsigned, with epoch signing on the capture thread (<see cref="SignedEgress"/>) and on a signing thread beside
/// it (<see cref="SigningThreadEgress"/>, what <c>kalki-edge run</c> uses on more than one core), and the same hand-off
/// with no tag (the signing thread's ceiling), interleaved per repetition. Wall time runs from the first frame until the last has left the egress (the signing thread drained).
/// </summary>
public sealed partial class SigningSuite
{
    // Frames played through a fresh egress before timing: every device's epoch key is derived once, as a capture
    // thread's stage does once for its life, not once per repetition.
    private const int WarmUpFrames = 20_000;

    /// <summary>
    /// Runs the bridge path at the capture threads' scheduling priority (<see cref="CaptureThreadPriority"/>: SCHED_FIFO
    /// where granted), which a signing thread takes over when it starts: on a busy machine at nice 0 the two threads of the hand-off
    /// rarely run at once, and the bench would measure the scheduler instead of the hand-off.
    /// </summary>
    private static void BridgePath(SuiteReport report, HypervisorShim shim, TrafficMix mix, EdgeAppliance appliance)
    {
        ExceptionDispatchInfo? failure = null;
        var capture = new Thread(() =>
        {
            try
            {
                var realtime = CaptureThreadPriority.TryApply(CaptureThreadPriority.DefaultNice, CaptureThreadPriority.DefaultRealtimePriority);
                BridgePathAtPriority(report, shim, mix, appliance, realtime ? $"SCHED_FIFO {CaptureThreadPriority.DefaultRealtimePriority}" : "nice 0 (real-time priority refused)");
            }
#pragma warning disable CA1031 // rethrown on the bench's thread
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }) { Name = "capture bench" };
        capture.Start();
        capture.Join();
        failure?.Throw();
    }

    private static void BridgePathAtPriority(SuiteReport report, HypervisorShim shim, TrafficMix mix, EdgeAppliance appliance, string priority)
    {
        var options = new SigningOptions { Mode = SigningMode.Epoch, Mac = EpochMacs.Preferred };
        var mac = EpochMacs.Name(options.Mac);
        var engine = appliance.Engine;
        var paths = new PathVariant[]
        {
            new("unsigned", () => DirectEgress.Instance, null),
            new($"epoch {mac} on the capture thread", null, () => new SigningStage(shim, options, null, new CountingAlerts())),
            new($"epoch {mac} on a signing thread", null, () => new SigningStage(shim, options, null, new CountingAlerts()), Threaded: true, Target: true),

            // The signing thread's ceiling: the same hand-off to a second thread, which only sends (a stage with signing off).
            new("ceiling: hand-off to a second thread, no tag", null, () => new SigningStage(null, new SigningOptions(), null, new CountingAlerts()), Threaded: true),
        };
        var wall = paths.ToDictionary(p => p, _ => new List<double>());
        var captureCpu = paths.ToDictionary(p => p, _ => new List<double>());
        var processCpu = paths.ToDictionary(p => p, _ => new List<double>());
        var sent = new Dictionary<PathVariant, (long Frames, long Handed, SigningCounters Counters, HandOffWaits Waits)>();
        var context = appliance.CreateContext();
        for (int rep = 0; rep < Repetitions; rep++)
        {
            foreach (var path in paths)
            {
                var sink = new CopyingSink();
                var stage = path.Stage?.Invoke();
                IBridgeEgress egress = stage is null ? path.Unsigned!() : path.Threaded ? new SigningThreadEgress(stage) : new SignedEgress(stage);
                (egress as IThreadedEgress)?.Start("bench", static () => { });
                var warmed = Play(mix, engine, context, egress, sink, WarmUpFrames);
                egress.Release();
                while (Volatile.Read(ref sink.Frames) + (stage?.Counters.Dropped ?? 0) < warmed)
                {
                    Thread.Yield(); // the signing thread sends the warm-up's last frames before the clock starts
                }

                sink.Frames = 0;
                var (sw, thread0, process0) = (Stopwatch.StartNew(), CpuTime.Thread(), CpuTime.Process());
                var handed = Play(mix, engine, context, egress, sink, mix.Order.Length);
                egress.Release();
                var counters = stage is null ? new SigningCounters() : Snapshot(stage.Counters);
                var waits = egress is SigningThreadEgress threaded ? new HandOffWaits(threaded.Backpressure, threaded.SigningWakes, threaded.CaptureWakes) : default;
                egress.Dispose(); // the signing thread sends what it still holds, then stops: inside the timed span
                wall[path].Add(sw.Elapsed.TotalSeconds);
                captureCpu[path].Add(CpuTime.Thread() - thread0);
                processCpu[path].Add(CpuTime.Process() - process0);
                sent[path] = (sink.Frames, handed, counters, waits);
            }
        }

        var off = paths[0];
        var frames = mix.Order.Length;
        foreach (var path in paths)
        {
            var (n, handed, c, waits) = sent[path];
            var note = path == off
                ? $"the bridge's capture-thread loop (engine, egress, a copy per frame as a transmit batch makes), {frames:N0} frames, median of {Repetitions}, capture thread at {priority}"
                : $"{n:N0} frames sent of {handed:N0} that left the chain, {c.BatchRoots:N0} roots, {c.Dropped} dropped{(path.Threaded ? $", ring full {waits.Full:N0} times, signing thread woken {waits.SigningWakes:N0} times, capture thread {waits.CaptureWakes:N0}" : "")}";
            report.Add($"signing bridge path {path.Name}", frames / Measure.Median(wall[path]), "frames/s", note);
            report.Add($"signing bridge path {path.Name}: processor time", Measure.Median(processCpu[path]) * 1e9 / frames, "ns/frame",
                $"all threads; the capture thread's share {Measure.Median(captureCpu[path]) * 1e9 / frames:F0} ns/frame");
        }

        foreach (var path in paths.Skip(1))
        {
            var ratio = Measure.Median(wall[off]) / Measure.Median(wall[path]);
            var captureRatio = Measure.Median(captureCpu[off]) / Measure.Median(captureCpu[path]);
            var cores = Measure.Median(processCpu[path]) / Measure.Median(processCpu[off]);
            report.Add($"ratio signing bridge path {path.Name} / unsigned", ratio, "x",
                $"throughput cost {(1 - ratio) * 100:F1}%{(path.Target ? $" (target < 15%: {(1 - ratio < 0.15 ? "met" : "NOT met")})" : "")}; by the capture thread's processor time {captureRatio:F3}x; all threads' processor time {cores:F2}x unsigned's");
        }
    }

    /// <summary>Plays <paramref name="frames"/> frames of the mix through the engine and <paramref name="egress"/>; returns how many it handed on.</summary>
    private static long Play(TrafficMix mix, PacketEngine engine, ElementContext context, IBridgeEgress egress, IFrameSink sink, int frames)
    {
        long handed = 0;
        var frame = new Frame();
        long t = TrafficMix.Start;
        var order = mix.Order;
        for (int i = 0; i < frames; i++)
        {
            frame.Load(mix.Templates[order[i % order.Length]], t++, Direction.FromDevice);
            frame.Direction = engine.InferDirection(frame);
            var verdict = engine.Process(frame, context);
            if (verdict == Verdict.Forward)
            {
                egress.Submit(frame, context.Ran, sink);
                handed++;
            }
            else if (verdict == Verdict.Reply)
            {
                egress.Submit(context.Reply, context.Ran, sink);
                handed++;
            }
        }

        return handed;
    }

    private static SigningCounters Snapshot(SigningCounters counters)
    {
        var copy = new SigningCounters();
        copy.Add(counters);
        return copy;
    }

    /// <summary>A signing thread's waits in one repetition: the ring found full, and the wake-ups (system calls) each way.</summary>
    private readonly record struct HandOffWaits(long Full, long SigningWakes, long CaptureWakes);

    private sealed record PathVariant(string Name, Func<IBridgeEgress>? Unsigned, Func<SigningStage>? Stage, bool Threaded = false, bool Target = false);

    /// <summary>Takes each frame as a transmit batch does: a copy of its bytes into a buffer of its own.</summary>
    private sealed class CopyingSink : IFrameSink
    {
        private readonly byte[] _buffer = new byte[4096];

        public long Frames;

        public string Name => "copy";

        public void Send(Frame frame)
        {
            frame.Data.CopyTo(_buffer);
            Volatile.Write(ref Frames, Frames + 1); // one thread sends; the bench's thread watches it drain
        }

        public void Dispose()
        {
        }
    }
}
