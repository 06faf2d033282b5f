using KalkiEdge.Assurance;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.DataPlane.Live;

namespace KalkiEdge.Appliance.Live;

/// <summary>
/// Packet signing for the live bridge (<see cref="Bridge.CreateEgress"/>): hands each capture thread its own
/// signing stage, on a signing thread beside it (<see cref="SigningThreadEgress"/>) or on the capture thread itself
/// (<see cref="SignedEgress"/>) as <see cref="SigningOptions.SignsOnOwnThread"/> decides, and adds up their counters
/// for the status lines.
/// </summary>
public sealed class LiveSigning(AssuranceServices services, EdgeAppliance appliance)
{
    private readonly List<SigningCounters> _stages = [];
    private readonly Lock _gate = new();

    public SigningOptions Options => services.Signing;

    /// <summary>Called once by each capture thread as it starts.</summary>
    public IBridgeEgress CreateEgress()
    {
        var stage = services.CreateSigningStage(null, appliance.Alerts);
        lock (_gate)
        {
            _stages.Add(stage.Counters);
        }

        return Options.SignsOnOwnThread(Environment.ProcessorCount) ? new SigningThreadEgress(stage) : new SignedEgress(stage);
    }

    /// <summary>Where frames are tagged, for the status lines.</summary>
    public string Where => Options.SignsOnOwnThread(Environment.ProcessorCount) ? "on a signing thread per capture thread" : "on the capture threads";

    /// <summary>All capture threads' counters added up (exact once the threads have stopped; approximate while they run).</summary>
    public SigningCounters Totals()
    {
        var total = new SigningCounters();
        lock (_gate)
        {
            foreach (var c in _stages)
            {
                total.Add(c);
            }
        }

        return total;
    }

    /// <summary>One status line: what was signed, verified and dropped.</summary>
    public string Describe()
    {
        var c = Totals();
        return $"packet signing ({AssuranceServices.ModeName(Options.Mode)}): {c.Submitted - c.MissingTag} frames signed in {c.SignCalls} shim calls{(Options.Mode == SigningMode.Epoch ? $" ({c.BatchRoots} batch roots)" : "")}, {c.Released} verified and sent ({c.VerifyCalls} verify calls), {c.Dropped} dropped ({c.MissingTag} untagged, {c.Stale} stale, {c.Invalid} invalid); tagged {Where}";
    }
}
