using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Assurance.Attestation;

/// <summary>
/// Attestation at load: every device whose chain comes from a μmbox image is checked before traffic flows; a
/// device whose image fails gets the fail-closed chain and an <c>attestation-failure</c> alert naming the image
/// and both hashes. (Deployments after load go through the same attestor, as the control plane's <see cref="IImageAttestor"/>.)
/// </summary>
public static class LoadAttestation
{
    /// <summary>Returns the failed results (empty when every image passed).</summary>
    public static IReadOnlyList<AttestationResult> Apply(ImageAttestor attestor, IEnumerable<DeviceSlot> devices, ChainDefinition failClosed, IAlertSink alerts, long timeMicros = 0)
    {
        ArgumentNullException.ThrowIfNull(attestor);
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(failClosed);
        ArgumentNullException.ThrowIfNull(alerts);
        var failures = new List<AttestationResult>();
        var verdicts = new Dictionary<ChainDefinition, AttestationResult>(ReferenceEqualityComparer.Instance);
        foreach (var device in devices)
        {
            if (device.Chain?.Definition is not { Image: not null } definition)
            {
                continue; // site-defined chain text: part of the site configuration, not a manifest image
            }

            if (!verdicts.TryGetValue(definition, out var result))
            {
                verdicts[definition] = result = attestor.Attest(definition);
            }

            if (!result.Allowed)
            {
                device.Swap(failClosed.Instantiate());
                failures.Add(result);
                alerts.Raise(new Alert(AlertTypes.AttestationFailure, device.Name, AlertSource.Platform, timeMicros,
                    $"{result.Reason}; device {device.Name} is fail-closed instead"));
            }
        }

        return failures;
    }
}
