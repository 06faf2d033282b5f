using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Panel.Pairing;

/// <summary>
/// Admits a paired device through the runtime device registry: the same checks, audit entry (actor <c>panel</c>)
/// and make-before-break publication as a device added from the dashboard; its pack's chain is in force from its
/// next frame and the store commit follows (<see cref="IDeviceRegistry.AddInForce"/>), so it survives a reboot once committed. The description says how it was recognised and,
/// below the confidence threshold, that it needs review (shown by the dashboard and <c>kalki-edge devices</c>).
/// </summary>
public sealed class RegistryAdmission(IDeviceRegistry registry) : IDeviceAdmission
{
    public const string Actor = "panel";

    /// <summary>Said in the description of a device paired below the confidence threshold, until an operator rewrites it.</summary>
    public const string ReviewMarker = "NEEDS REVIEW";

    // The registry bounds descriptions at 500 printable characters; the evidence is cut to fit.
    private const int MaxDescription = 480;

    public AdmissionResult Admit(PairingVerdict verdict, Action<AdmissionResult> committed)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        ArgumentNullException.ThrowIfNull(committed);
        var spec = new DeviceSpec(verdict.DeviceName, Mac.Format(verdict.Mac), []) { Type = verdict.Pack, Description = Describe(verdict) };
        var result = registry.AddInForce(spec, Actor, r => committed(Outcome(verdict, r)));
        return Outcome(verdict, result);
    }

    private static AdmissionResult Outcome(PairingVerdict verdict, RegistryResult result) =>
        result.Succeeded
            ? new AdmissionResult(verdict, true, verdict.NeedsReview ? "needs review" : "recognised")
            : new AdmissionResult(verdict, false, string.Join("; ", result.Errors.Select(e => e.Message)));

    /// <summary>Whether a registered device's <paramref name="description"/> flags it for review (the dashboard, <c>kalki-edge devices</c>).</summary>
    public static bool NeedsReview(string? description) => description?.Contains(ReviewMarker, StringComparison.Ordinal) == true;

    public static string Describe(PairingVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var text = $"paired with the panel button as {verdict.Pack} ({verdict.Confidence}% confidence){(verdict.NeedsReview ? "; " + ReviewMarker : "")}; evidence: {verdict.Evidence}";
        return text.Length > MaxDescription ? text[..MaxDescription] : text;
    }
}
