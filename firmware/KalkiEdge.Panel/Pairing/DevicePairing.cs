using System.Collections.Concurrent;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Fingerprinting;

namespace KalkiEdge.Panel.Pairing;

/// <summary>
/// Pairing: while the window is open, a MAC the engine sees for the first time on the device side becomes a
/// candidate (at most <see cref="PairingSettings.MaxCandidates"/> per window; the rest stay unknown devices and
/// raise one <c>pairing-limit</c> alert). Its frames are read for evidence (capture threads: only candidates'
/// frames are parsed). <see cref="Settle"/> (off the capture threads) admits a candidate as soon as a family is
/// recognised with enough confidence, else once it has been watched for the observation time or the window
/// closes: then with the generic pack, flagged for review.
/// </summary>
public sealed class DevicePairing(PairingSettings settings, Fingerprinter fingerprinter, IDeviceAdmission admission, IAlertSink alerts) : IUnknownSourceObserver
{
    private readonly ConcurrentDictionary<ulong, Candidate> _candidates = new();
    private readonly object _newsGate = new(); // Monitor.Wait/Pulse need an object, not a Lock
    private bool _news;
    private readonly Lock _gate = new();
    private readonly long _observeMicros = (long)settings.Observe.TotalMicroseconds;
    private int _candidateCount;
    private long _budgetWindow = long.MinValue;
    private int _takenInWindow;
    private bool _limitReported;

    public PairingWindow Window { get; } = new(settings.Window);

    public PairingSettings Settings => settings;

    /// <summary>MACs refused because the window's candidate budget was spent.</summary>
    public long Refused { get; private set; }

    /// <summary>The most recent admission (or refusal by the registry), for the LCD.</summary>
    public AdmissionResult? Last { get; private set; }

    /// <summary>
    /// Every admission attempt, after the registry answered (on the thread that called <see cref="Settle"/>); and
    /// again, not admitted, when the store could not commit an admitted device and it was taken out (from the store's side).
    /// </summary>
    public event Action<AdmissionResult>? Paired;

    /// <summary>An admitted device's store commit completed: from now on it survives a crash (from the store's side).</summary>
    public event Action<AdmissionResult>? Committed;

    /// <summary>The operator cancelled an open window (its time); candidates already seen are still settled.</summary>
    public event Action<long>? Cancelled;

    public int Candidates => Volatile.Read(ref _candidateCount);

    /// <summary>
    /// Whether candidates wait, as the frame loop asks once per frame: a plain read that inlines (no call, no
    /// barrier). A candidate it misses is settled at the next frame or by the live settler.
    /// </summary>
    public bool HasCandidates => _candidateCount > 0;

    /// <summary>A new candidate (on the capture thread that saw it, at most the window's budget per window: keep handlers short).</summary>
    public event Action<ulong>? CandidateSeen;
    /// <summary>Closes the window now (the panel's long hold, a fleet command); reports it when one was open.</summary>
    public void Cancel(long nowMicros)
    {
        var wasOpen = Window.IsOpen(nowMicros);
        Window.Close(nowMicros);
        if (wasOpen)
        {
            Cancelled?.Invoke(nowMicros);
        }
    }

    public bool Observe(Frame frame, bool firstSeen)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (Volatile.Read(ref _candidateCount) > 0 && _candidates.TryGetValue(frame.SrcMac, out var known))
        {
            known.Read(frame);
            Announce();
            return true;
        }

        if (!firstSeen || !Window.IsOpen(frame.TimestampMicros) || TakeBudget(frame) is not { } candidate)
        {
            return false;
        }

        candidate.Read(frame);
        Announce();
        return true;
    }

    /// <summary>
    /// Waits until a candidate has said something new since the last <see cref="Settle"/>, or until
    /// <paramref name="timeout"/>: the live settler wakes on evidence instead of polling, so a device whose first
    /// frame names its family is admitted within the time the registry takes.
    /// </summary>
    public bool WaitForEvidence(TimeSpan timeout)
    {
        lock (_newsGate)
        {
            if (!_news)
            {
                Monitor.Wait(_newsGate, timeout);
            }

            return _news;
        }
    }

    /// <summary>Admits the candidates that are decided by <paramref name="nowMicros"/>; cheap when there are none.</summary>
    public void Settle(long nowMicros)
    {
        if (Volatile.Read(ref _candidateCount) == 0)
        {
            return;
        }

        Volatile.Write(ref _news, false); // evidence arriving from here on wakes the next settle
        var windowOpen = Window.IsOpen(nowMicros);
        foreach (var (mac, candidate) in _candidates)
        {
            var verdict = candidate.Decide(fingerprinter);
            if (verdict.NeedsReview && windowOpen && nowMicros - candidate.FirstSeenMicros < _observeMicros)
            {
                continue; // still listening: the next announcement may name the family
            }

            if (_candidates.TryRemove(mac, out _))
            {
                Admit(verdict);
            }
        }
    }

    /// <summary>The candidates still being watched, each with the verdict its evidence gives so far (oldest first).</summary>
    public IReadOnlyList<PendingCandidate> Pending() =>
        [.. _candidates.Values.Select(c => new PendingCandidate(c.Decide(fingerprinter), c.FirstSeenMicros)).OrderBy(c => c.FirstSeenMicros)];

    /// <summary>
    /// An administrator vouches for a candidate: it is admitted now with the verdict so far, without waiting for more
    /// evidence; <paramref name="mudUrl"/>, when given, is the device's MUD URL as the administrator names it, in
    /// place of any the device announced. Null when <paramref name="mac"/> is no candidate (already decided,
    /// rejected, or never seen).
    /// </summary>
    public AdmissionResult? Accept(ulong mac, string? mudUrl = null)
    {
        if (!_candidates.TryRemove(mac, out var candidate))
        {
            return null;
        }

        var verdict = candidate.Decide(fingerprinter);
        return Admit(mudUrl is null ? verdict : verdict with { MudUrl = mudUrl });
    }

    /// <summary>
    /// An administrator refuses a candidate: it is never admitted and stays an unknown device (the engine offers a
    /// MAC as new only once). False when <paramref name="mac"/> is no candidate.
    /// </summary>
    public bool Reject(ulong mac)
    {
        if (!_candidates.TryRemove(mac, out _))
        {
            return false;
        }

        Interlocked.Decrement(ref _candidateCount);
        return true;
    }

    private AdmissionResult Admit(PairingVerdict verdict)
    {
        Interlocked.Decrement(ref _candidateCount);
        var result = admission.Admit(verdict, Durable);
        Last = result;
        Paired?.Invoke(result);
        return result;
    }

    private void Durable(AdmissionResult result)
    {
        if (result.Admitted)
        {
            Committed?.Invoke(result);
            return;
        }

        Last = result; // a rollback is news for the LCD, the console and the dashboard like any refusal
        Paired?.Invoke(result);
    }

    private void Announce()
    {
        if (Volatile.Read(ref _news))
        {
            return; // the settler has yet to look: no need to wake it twice
        }

        lock (_newsGate)
        {
            _news = true;
            Monitor.PulseAll(_newsGate);
        }
    }

    private Candidate? TakeBudget(Frame frame)
    {
        lock (_gate)
        {
            if (_budgetWindow != Window.OpenedAtMicros)
            {
                _budgetWindow = Window.OpenedAtMicros;
                _takenInWindow = 0;
                _limitReported = false;
            }

            if (_takenInWindow >= settings.MaxCandidates)
            {
                Refused++;
                if (!_limitReported)
                {
                    _limitReported = true;
                    alerts.Raise(new Alert(AlertTypes.PairingLimit, "(unknown)", AlertSource.Platform, frame.TimestampMicros,
                        $"more than {settings.MaxCandidates} new MACs in one pairing window: {Mac.Format(frame.SrcMac)} and any further ones stay unknown devices") { FrameNumber = frame.Number });
                }

                return null;
            }

            _takenInWindow++;
            var candidate = new Candidate(frame.SrcMac, frame.TimestampMicros);
            _candidates[frame.SrcMac] = candidate;
            Interlocked.Increment(ref _candidateCount);
            CandidateSeen?.Invoke(frame.SrcMac);
            return candidate;
        }
    }

    private sealed class Candidate(ulong mac, long firstSeenMicros)
    {
        private readonly Evidence _evidence = new();

        public long FirstSeenMicros => firstSeenMicros;

        public void Read(Frame frame)
        {
            lock (_evidence)
            {
                EvidenceReader.Read(frame, _evidence);
            }
        }

        public PairingVerdict Decide(Fingerprinter fingerprinter)
        {
            lock (_evidence)
            {
                return fingerprinter.Decide(mac, _evidence);
            }
        }
    }
}
