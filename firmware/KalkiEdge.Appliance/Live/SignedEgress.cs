using KalkiEdge.Assurance.Signing;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.DataPlane.Live;

namespace KalkiEdge.Appliance.Live;

/// <summary>
/// Packet signing on one live capture thread: every frame leaving a chain is tagged for the chain generation that
/// ran (the engine's <see cref="ElementContext.Ran"/>, as in replay) and verified just before it is put on its port. Owns its
/// stage (a stage is not thread-safe, so one per capture thread).
/// </summary>
public sealed class SignedEgress(SigningStage stage) : IBridgeEgress
{
    public SigningCounters Counters => stage.Counters;

    public bool Holding => stage.Pending > 0;

    /// <summary>The open batch root's age bound, so a link that falls silent still has its root sealed on time.</summary>
    public TimeSpan? ReleaseDueIn => stage.RootDueIn;

    public void Submit(Frame outgoing, in ChainRun ran, IFrameSink port) => stage.Submit(outgoing, ran, port);

    /// <summary>
    /// The port ran dry: held frames are sealed, verified and sent. Epoch mode holds none and seals its batch root only
    /// once it is due (<see cref="SigningStage.Idle"/>): a busy port runs dry every few frames, and a root each time was
    /// a uhsign call every few frames on the forwarding thread.
    /// </summary>
    public void Release() => stage.Idle();

    /// <summary>The thread stops: what is still held is sent and the open batch's root sealed, whatever its age.</summary>
    public void Dispose()
    {
        try
        {
            stage.Flush();
        }
        finally
        {
            stage.Dispose();
        }
    }
}
