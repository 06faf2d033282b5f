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

    public void Submit(Frame outgoing, in ChainRun ran, IFrameSink port) => stage.Submit(outgoing, ran, port);

    /// <summary>Seals, verifies and sends what is held (the port ran dry, or the thread is stopping).</summary>
    public void Release() => stage.Flush();

    public void Dispose() => stage.Dispose();
}
