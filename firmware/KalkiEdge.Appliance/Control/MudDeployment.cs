using KalkiEdge.Panel.Mud;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Puts a device's MUD file in force as its egress allow-list (<see cref="MudAllowList"/>, make-before-break):
/// when it pairs (<see cref="MudAdmission"/>) and again at start from the store, so the same file yields the same
/// allow-list either way.
/// </summary>
internal static class MudDeployment
{
    /// <summary>
    /// The file in force for <paramref name="device"/> (of pack <paramref name="packName"/>); what happened, said
    /// as one line. Unsupported constructs are said through <paramref name="log"/>. Throws <see cref="MudException"/>
    /// when the rules do not compile (nothing changed then).
    /// </summary>
    public static (bool InForce, string Said) Apply(EdgeAppliance appliance, string device, string packName, MudFile file, Action<string> log)
    {
        foreach (var unsupported in file.Unsupported)
        {
            log($"mud: {file.Url}: {unsupported}");
        }

        var pack = appliance.Packs.FirstOrDefault(p => p.Name == packName);
        if (pack?.ImageFor(pack.Initial) is not { } image || !appliance.Images.TryGet(image, out var found))
        {
            return (false, $"mud {file.Url}: pack {packName} has no chain for its initial state; the file is not used");
        }

        var overlay = MudAllowList.Create(file, pack.Initial, found.Chain, appliance.Compiler);
        if (!appliance.Control.SetOverlay(device, overlay))
        {
            return (false, $"mud {file.Url}: the device is no longer registered; nothing applied");
        }

        var widened = MudPackCheck.Gaps(file, found.Chain);
        return (true, $"mud {file.Url}: the device's allow-list is now its {file.Allows.Count} declared rules"
            + (file.ServicePorts.Count == 0 ? "" : $" and service ports {string.Join(", ", file.ServicePorts)}")
            + (widened.Count == 0 ? "" : $"; declared beyond pack {packName}'s: {string.Join(", ", widened)}"));
    }
}
