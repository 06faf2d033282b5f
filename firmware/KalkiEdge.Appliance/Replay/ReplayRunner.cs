using System.Diagnostics;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Appliance.Replay;

/// <summary>Counts of one replay run.</summary>
public sealed record ReplayResult(long Frames, long Forwarded, long Dropped, long Replied, long Malformed, TimeSpan Elapsed)
{
    /// <summary>Packet signing counters when a signing stage ran.</summary>
    public SigningCounters? Signing { get; init; }
}

/// <summary>
/// Pushes frames from a source through the appliance's engine exactly as live traffic: direction inferred from
/// the device MACs, time taken from the capture. Optionally paces frames in real time (the simulation).
/// </summary>
public sealed class ReplayRunner(Appliance appliance, IApplianceObserver observer)
{
    /// <summary>Play frames at the pace of their timestamps (times this factor), instead of as fast as possible.</summary>
    public double? RealTimeSpeed { get; init; }

    /// <summary>Forwarded and replied frames are written here when set.</summary>
    public IFrameSink? Output { get; init; }

    /// <summary>Called after each frame with its timestamp (the control plane drains its queue here).</summary>
    public Action<long>? AfterFrame { get; init; }

    /// <summary>
    /// Packet signing (issue 5): frames leaving a chain are tagged and verified by this stage, which sends them to
    /// its own egress sink instead of <see cref="Output"/>. Null = signing off.
    /// </summary>
    public SigningStage? Signing { get; init; }

    /// <summary>Opens a pairing window during the capture; the appliance's pairing must be enabled.</summary>
    public ReplayPairing? Pairing { get; init; }

    public ReplayResult Run(IFrameSource source, CancellationToken cancel = default)
    {
        var engine = appliance.Engine;
        var context = appliance.CreateContext();
        var frame = new Frame();
        var clock = Stopwatch.StartNew();
        long first = -1;
        var windowOpened = false;
        while (!cancel.IsCancellationRequested && source.TryRead(frame))
        {
            first = first < 0 ? frame.TimestampMicros : first;
            Pace(frame.TimestampMicros - first, clock, cancel);
            if (Pairing is { } pairing && !windowOpened && frame.TimestampMicros - first >= (long)pairing.Start.TotalMicroseconds)
            {
                windowOpened = true;
                appliance.Pairing?.Window.OpenOrExtend(first + (long)pairing.Start.TotalMicroseconds);
            }

            frame.Direction = Pairing is { } side && frame.HasEthernetHeader ? side.DirectionOf(frame) : engine.InferDirection(frame);
            appliance.BeginFrame(frame.TimestampMicros);
            var verdict = engine.Process(frame, context);
            Sign(verdict, frame, context);
            appliance.EndFrame();
            if (frame.Malformation is { } reason)
            {
                observer.OnMalformed(frame.Number, Attribute(frame), reason);
            }

            Emit(verdict, frame, context);
            AfterFrame?.Invoke(frame.TimestampMicros);
        }

        if (Signing is { } signing)
        {
            signing.Flush();
            appliance.EndFrame(); // deliver signature-failure alerts of the last batch
        }

        var c = engine.Counters;
        return new ReplayResult(c.Frames, c.Forwarded, c.Dropped, c.Replied, c.Malformed, clock.Elapsed) { Signing = Signing?.Counters };
    }

    /// <summary>
    /// Tags the frame before the control plane runs (it may swap chains): the tag names the chain that produced it.
    /// When alerts are waiting, a transition may follow, so pending frames are verified and released first, under
    /// the chain that produced them; frames still pending at a swap from elsewhere are dropped as stale.
    /// </summary>
    private void Sign(Verdict verdict, Frame frame, ElementContext context)
    {
        if (Signing is not { } signing)
        {
            return;
        }

        if (verdict != Verdict.Drop)
        {
            signing.Submit(verdict == Verdict.Forward ? frame : context.Reply, ChainOwner.Of(appliance.Engine, frame));
        }

        if (!appliance.Control.Alerts.IsEmpty)
        {
            signing.Flush();
        }
    }

    private void Emit(Verdict verdict, Frame frame, ElementContext context)
    {
        if (Signing is not null)
        {
            return; // the signing stage sends verified frames to its own egress
        }

        if (Output is null)
        {
            return;
        }

        if (verdict == Verdict.Forward)
        {
            Output.Send(frame);
        }
        else if (verdict == Verdict.Reply)
        {
            Output.Send(context.Reply);
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
