using System.Diagnostics;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.DataPlane.Sharding;

namespace KalkiEdge.Appliance.Replay;

/// <summary>Counts of one replay run.</summary>
public sealed record ReplayResult(long Frames, long Forwarded, long Dropped, long Replied, long Malformed, TimeSpan Elapsed)
{
    /// <summary>Packet signing counters when a signing stage ran.</summary>
    public SigningCounters? Signing { get; init; }

    /// <summary>
    /// Why the source ended before its end (a truncated or corrupt capture: where and why), or null. The counts
    /// cover every frame read before it.
    /// </summary>
    public string? Stopped { get; init; }
}

/// <summary>
/// Pushes frames from a source through the appliance (<see cref="FramePipeline"/>) exactly as live traffic:
/// direction inferred from the device MACs, time taken from the capture. Optionally paces frames in real time
/// (the simulation).
/// </summary>
public sealed class ReplayRunner(EdgeAppliance appliance, IApplianceObserver observer)
{
    /// <summary>Play frames at the pace of their timestamps (times this factor), instead of as fast as possible.</summary>
    public double? RealTimeSpeed { get; init; }

    /// <summary>Forwarded and replied frames are written here when set.</summary>
    public IFrameSink? Output { get; init; }

    /// <summary>Called after each frame with its timestamp (the control plane drains its queue here).</summary>
    public Action<long>? AfterFrame { get; init; }

    /// <summary>
    /// Packet signing: frames leaving a chain are tagged and verified by this stage, which sends them to
    /// its own egress sink instead of <see cref="Output"/>. Null = signing off.
    /// </summary>
    public SigningStage? Signing { get; init; }

    /// <summary>Opens a pairing window during the capture; the appliance's pairing must be enabled.</summary>
    public ReplayPairing? Pairing { get; init; }

    /// <summary>
    /// Engine threads to spread devices over (<see cref="ShardedEngine"/>; the output is the same for any number). A
    /// paced run and a run with a pairing window use one: pacing gains nothing from more, and an admitted device
    /// changes how every later frame is attributed, so frames cannot be routed ahead of it.
    /// </summary>
    public int Threads { get; init; } = 1;

    public ReplayResult Run(IFrameSource source, CancellationToken cancel = default)
    {
        var pipeline = new FramePipeline(appliance, Output, Signing, Pairing);
        var clock = Stopwatch.StartNew();
        string? stopped = null;
        if (Threads > 1 && RealTimeSpeed is null && Pairing is null && appliance.Pairing is null)
        {
            RunSharded(source, pipeline, ref stopped, cancel);
        }
        else
        {
            RunInline(source, pipeline, clock, ref stopped, cancel);
        }

        pipeline.Finish();
        var c = appliance.Engine.Counters;
        return new ReplayResult(c.Frames, c.Forwarded, c.Dropped, c.Replied, c.Malformed, clock.Elapsed) { Signing = Signing?.Counters, Stopped = stopped };
    }

    private void RunInline(IFrameSource source, FramePipeline pipeline, Stopwatch clock, ref string? stopped, CancellationToken cancel)
    {
        var frame = new Frame();
        long first = -1;
        while (!cancel.IsCancellationRequested && Read(source, frame, ref stopped))
        {
            first = first < 0 ? frame.TimestampMicros : first;
            Pace(frame.TimestampMicros - first, clock, cancel);
            pipeline.Process(frame);
            Done(frame, frame.Malformation);
        }
    }

    /// <summary>
    /// The same frames on <see cref="Threads"/> engine threads, merged back in capture order on this thread: a source
    /// every thread can walk itself (a capture file) is walked by each, so no frame moves between cores; any other is
    /// read here and each frame handed to its engine thread.
    /// </summary>
    private void RunSharded(IFrameSource source, FramePipeline pipeline, ref string? stopped, CancellationToken cancel)
    {
        if (source is IRewalkableFrameSource rewalkable)
        {
            using var walking = new WalkingShardedEngine(appliance.Engine, Threads, appliance.CreateContext);
            stopped = walking.Run(
                rewalkable.OpenWalk,
                (frame, verdict, reply, malformation) =>
                {
                    pipeline.Merge(frame, verdict, reply);
                    Done(frame, malformation);
                },
                cancel);
            return;
        }

        using var shards = new ShardedEngine(appliance.Engine, Threads, appliance.CreateContext);
        string? why = null;
        shards.Run(
            frame =>
            {
                if (!Read(source, frame, ref why))
                {
                    return false;
                }

                pipeline.Arrive(frame);
                return true;
            },
            slot =>
            {
                pipeline.Merge(slot.Frame, slot.Verdict, slot.ReplyIfAny);
                Done(slot.Frame, slot.Frame.Malformation);
            },
            cancel);
        stopped = why;
    }

    /// <summary>After a frame's whole way: its <paramref name="malformation"/> said, and the caller's hook.</summary>
    private void Done(Frame frame, string? malformation)
    {
        if (malformation is { } reason)
        {
            observer.OnMalformed(frame.Number, Attribute(frame), reason);
        }

        AfterFrame?.Invoke(frame.TimestampMicros);
    }

    /// <summary>A source that fails mid-way ends the run like its end would, keeping what it said.</summary>
    private static bool Read(IFrameSource source, Frame frame, ref string? stopped)
    {
        try
        {
            return source.TryRead(frame);
        }
        catch (FrameSourceException e)
        {
            stopped = e.Message;
            return false;
        }
    }

    private void Pace(long sinceFirstMicros, Stopwatch clock, CancellationToken cancel)
    {
        if (RealTimeSpeed is not { } speed)
        {
            return;
        }

        var due = TimeSpan.FromMicroseconds(sinceFirstMicros / speed);
        var wait = due - clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            cancel.WaitHandle.WaitOne(wait);
        }
    }

    private string Attribute(Frame frame)
    {
        var devices = appliance.Engine.Devices;
        return (devices.ByMac(frame.SrcMac) ?? (frame.HasEthernetHeader ? devices.ByMac(frame.DstMac) : null))?.Name ?? "(unknown)";
    }
}
