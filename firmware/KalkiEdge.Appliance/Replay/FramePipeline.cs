using KalkiEdge.Assurance.Signing;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Appliance.Replay;

/// <summary>
/// One frame through the appliance, as replay and the simulation run it (and the benchmarks measure it): direction
/// inferred from the device MACs, the control clock set to the frame's capture time, the engine, packet signing or
/// the output sink, and the control plane evaluating the frame's alerts before the next frame. With replay's
/// pairing, the window opens at its capture time and the side of a frame is the named network MACs'; the
/// appliance settles the candidates after each frame.
/// </summary>
public sealed class FramePipeline(EdgeAppliance appliance, IFrameSink? output = null, SigningStage? signing = null, ReplayPairing? pairing = null)
{
    private readonly ElementContext _context = appliance.CreateContext();
    private long _firstMicros = -1;
    private bool _windowOpened;

    /// <summary>Runs <paramref name="frame"/> (loaded, direction unknown) through the appliance.</summary>
    public Verdict Process(Frame frame)
    {
        Arrive(frame);
        appliance.BeginFrame(frame.TimestampMicros);
        var verdict = appliance.Engine.Process(frame, _context);
        Leave(frame, verdict, _context.Reply, _context.Ran);
        return verdict;
    }

    /// <summary>Before the engine: the pairing window reaches the frame's time, and the frame gets its direction.</summary>
    public void Arrive(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        OpenPairingWindow(frame.TimestampMicros);
        frame.Direction = pairing is not null && frame.HasEthernetHeader ? pairing.DirectionOf(frame) : appliance.Engine.InferDirection(frame);
    }

    /// <summary>
    /// After an engine thread gave <paramref name="frame"/> its <paramref name="verdict"/> (and <paramref name="reply"/>,
    /// present exactly when the verdict is a reply): the rest of the frame's way, on the merging thread, in capture
    /// order (engine sharding). The engine thread's context is not at hand here: signing takes the generation in
    /// force now for the device whose chain ran (<see cref="ChainOwner"/>).
    /// </summary>
    public void Merge(Frame frame, Verdict verdict, Frame? reply)
    {
        ArgumentNullException.ThrowIfNull(frame);
        appliance.BeginMerge(frame.TimestampMicros);
        Leave(frame, verdict, reply, signing is null || verdict == Verdict.Drop ? ChainRun.None : ChainOwner.RunOf(appliance.Engine, frame));
    }

    /// <summary>After the engine: signing, the control plane's reaction to the frame's alerts, and the output.</summary>
    private void Leave(Frame frame, Verdict verdict, Frame? reply, in ChainRun run)
    {
        Sign(verdict, frame, reply, run);
        appliance.EndFrame();
        Emit(verdict, frame, reply);
    }

    /// <summary>Opens replay's pairing window once the capture reaches its start (relative to the first frame).</summary>
    private void OpenPairingWindow(long captureMicros)
    {
        if (pairing is null || _windowOpened)
        {
            return;
        }

        _firstMicros = _firstMicros < 0 ? captureMicros : _firstMicros;
        var start = _firstMicros + (long)pairing.Start.TotalMicroseconds;
        if (captureMicros >= start)
        {
            _windowOpened = true;
            appliance.Pairing?.Window.OpenOrExtend(start);
        }
    }

    /// <summary>After the last frame: releases the signing stage's last batch and delivers its alerts.</summary>
    public void Finish()
    {
        if (signing is not null)
        {
            signing.Flush();
            appliance.EndFrame();
        }
    }

    /// <summary>
    /// Tags the frame before the control plane runs (it may swap chains): the tag names the chain generation that
    /// produced it (<paramref name="run"/>), and a frame whose generation was swapped out meanwhile is dropped as stale.
    /// When alerts are waiting, a transition may follow, so pending frames are verified and released first, under
    /// the chain that produced them; frames still pending at a swap from elsewhere are dropped as stale.
    /// </summary>
    private void Sign(Verdict verdict, Frame frame, Frame? reply, in ChainRun run)
    {
        if (signing is null)
        {
            return;
        }

        if (verdict != Verdict.Drop)
        {
            signing.Submit(verdict == Verdict.Forward ? frame : reply!, run);
        }

        // Only held frames need releasing before a transition (epoch mode holds none).
        if (signing.Pending > 0 && !appliance.Control.Alerts.IsEmpty)
        {
            signing.Flush();
        }
    }

    /// <summary>Without signing, frames leaving the chain go to the output; with it, the stage sends verified ones to its own egress.</summary>
    private void Emit(Verdict verdict, Frame frame, Frame? reply)
    {
        if (signing is not null || output is null)
        {
            return;
        }

        if (verdict == Verdict.Forward)
        {
            output.Send(frame);
        }
        else if (verdict == Verdict.Reply)
        {
            output.Send(reply!);
        }
    }
}
