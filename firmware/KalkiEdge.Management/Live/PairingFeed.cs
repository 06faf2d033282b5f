using KalkiEdge.Management.Api;
using KalkiEdge.Panel.Pairing;

namespace KalkiEdge.Management.Live;

/// <summary>
/// The field panel's pairing (the same window its button opens) as the dashboard sees it: the state with the
/// candidates and their verdicts so far, the latest admissions (a bounded list), and a <c>pairing</c> event on the
/// live stream whenever a candidate appears, is admitted or refused, or the window changes. Pairing is switched on
/// by the panel wiring after management starts, so the feed attaches to it on first use.
/// </summary>
internal sealed class PairingFeed(ManagementContext m)
{
    public const int RecentCapacity = 20;

    private readonly Lock _gate = new();
    private readonly LinkedList<PairedInfo> _recent = new();
    private DevicePairing? _attached;

    /// <summary>The appliance's pairing (subscribed once), or null when the site has no panel.</summary>
    public DevicePairing? Pairing
    {
        get
        {
            var pairing = m.Appliance.Pairing;
            if (pairing is null)
            {
                return null;
            }

            lock (_gate)
            {
                if (_attached != pairing)
                {
                    _attached = pairing;
                    pairing.CandidateSeen += _ => Changed();
                    pairing.Paired += OnPaired;
                }
            }

            return pairing;
        }
    }

    public PairingInfo State()
    {
        var pairing = Pairing;
        if (pairing is null)
        {
            return new PairingInfo(false, false, 0, 0, 0, [], []);
        }

        var now = Now();
        var candidates = pairing.Pending().Select(c => new CandidateInfo(DataPlane.Mac.Format(c.Verdict.Mac), c.Verdict.DeviceName, c.Verdict.Pack, c.Verdict.Confidence,
            c.Verdict.NeedsReview, c.Verdict.Evidence, c.FirstSeenMicros)).ToList();
        lock (_gate)
        {
            return new PairingInfo(true, pairing.Window.IsOpen(now), pairing.Window.RemainingSeconds(now), (int)pairing.Window.Length.TotalSeconds,
                pairing.Settings.MaxCandidates, candidates, [.. _recent]);
        }
    }

    /// <summary>Tells the dashboards that the pairing state changed (they fetch it again).</summary>
    public void Changed() => m.Events.Publish("pairing", State());

    public static PairedInfo Info(AdmissionResult r) => new(r.Verdict.DeviceName, DataPlane.Mac.Format(r.Verdict.Mac), r.Verdict.Pack, r.Verdict.Confidence,
        r.Verdict.NeedsReview, r.Admitted, r.Detail, Now());

    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    private void OnPaired(AdmissionResult result)
    {
        lock (_gate)
        {
            _recent.AddFirst(Info(result));
            if (_recent.Count > RecentCapacity)
            {
                _recent.RemoveLast();
            }
        }

        Changed();
    }
}
