using KalkiEdge.Panel.Mud;
using KalkiEdge.Panel.Pairing;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Pairing's admission with the device's MUD file (RFC 8520). The device is admitted through the registry under
/// its pack as always; when it announced a MUD URL, the file is resolved (the site's folder, or a fetch whose
/// signature verifies) and checked against the chain of the pack's initial state (<see cref="MudPackCheck"/>). Each
/// gap and each construct the appliance cannot enforce is said in the log and in the result. A refused MUD file
/// (unsigned, oversized, malformed, for another URL) is said with its reason and changes nothing: the pack's own
/// allow-list stays in force. Runs on the pairing settler, never on a capture thread.
/// </summary>
public sealed class MudAdmission(IDeviceAdmission inner, MudSource mud, EdgeAppliance appliance, Action<string> log) : IDeviceAdmission
{
    public AdmissionResult Admit(PairingVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var result = inner.Admit(verdict);
        if (!result.Admitted || verdict.MudUrl is not { } url)
        {
            return result;
        }

        string said;
        try
        {
            var file = mud.Resolve(url);
            foreach (var unsupported in file.Unsupported)
            {
                log($"mud: {url}: {unsupported}");
            }

            var gaps = InitialChain(verdict.Pack) is { } chain ? MudPackCheck.Gaps(file, chain) : [];
            said = gaps.Count == 0
                ? $"mud {url}: {file.Allows.Count} declared rules, all allowed by pack {verdict.Pack}"
                : $"mud {url}: pack {verdict.Pack} would report abnormal-egress for declared {string.Join(", ", gaps)}";
        }
        catch (MudException e)
        {
            said = $"mud refused: {e.Message}";
        }

        log($"panel: {verdict.DeviceName}: {said}");
        return result with { Detail = $"{result.Detail}; {said}" };
    }

    private DataPlane.ChainDefinition? InitialChain(string pack) =>
        appliance.Packs.FirstOrDefault(p => p.Name == pack) is { } p && p.ImageFor(p.Initial) is { } image && appliance.Images.TryGet(image, out var found)
            ? found.Chain
            : null;
}
