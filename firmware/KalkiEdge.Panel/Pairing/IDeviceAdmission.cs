namespace KalkiEdge.Panel.Pairing;

/// <summary>What fingerprinting concluded about a candidate: the pack it gets and how sure that is.</summary>
public sealed record PairingVerdict(ulong Mac, string Pack, int Confidence, bool NeedsReview, string Evidence)
{
    /// <summary>The name the device is registered under: its pack and the MAC's last three bytes.</summary>
    public string DeviceName => $"{Pack}-{Mac & 0xFFFFFF:x6}";

    /// <summary>The MUD URL (RFC 8520) the device announced while it was watched, if any.</summary>
    public string? MudUrl { get; init; }
}

/// <summary>A candidate still watched: what its evidence says so far, and since when it is watched.</summary>
public sealed record PendingCandidate(PairingVerdict Verdict, long FirstSeenMicros);

/// <summary>The result of an admission: the device's name when registered, else why not.</summary>
public sealed record AdmissionResult(PairingVerdict Verdict, bool Admitted, string Detail);

/// <summary>
/// The narrow port pairing admits devices through: the runtime device registry (store-backed, the same path the
/// dashboard uses). Called off the capture threads; an admitted device's chain is in force when it returns, so
/// from the device's next frame. The store commits after that: <paramref name="committed"/> hears its outcome
/// once (admitted: durable; not admitted: the commit failed and the device was taken out again).
/// </summary>
public interface IDeviceAdmission
{
    AdmissionResult Admit(PairingVerdict verdict, Action<AdmissionResult> committed);
}
