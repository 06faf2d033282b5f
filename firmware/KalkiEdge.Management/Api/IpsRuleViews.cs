using KalkiEdge.Appliance;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Ips;

namespace KalkiEdge.Management.Api;

/// <summary>
/// The ips rules in force, per chain: each μmbox image that loads rules (with the packs and states that use it),
/// then each device's own chain that does. The same report as <c>check --rules</c> (sid, message, action,
/// inspection mode, file:line), grouped so an operator sees which rules guard which devices.
/// </summary>
internal static class IpsRuleViews
{
    public static IReadOnlyList<IpsRuleSetInfo> Of(EdgeAppliance appliance)
    {
        var sets = new List<IpsRuleSetInfo>();
        foreach (var image in appliance.Images.All.OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var rules = Rules(image.Chain);
            if (rules.Count > 0)
            {
                var usedBy = appliance.Packs.SelectMany(p => p.Chains.Where(c => c.Image == image.Name).Select(c => $"pack {p.Name} ({c.State})"));
                sets.Add(new IpsRuleSetInfo(image.Name, "image", [.. usedBy.Order(StringComparer.Ordinal)], rules));
            }
        }

        // Devices whose chain is their own text rather than an image: grouped by that text.
        var ownChains = appliance.Engine.Devices.All
            .Select(d => (d.Name, Definition: d.Chain?.Definition))
            .Where(d => d.Definition is { Image: null })
            .GroupBy(d => d.Definition!.Text, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in ownChains)
        {
            var rules = Rules(group.First().Definition!);
            if (rules.Count > 0)
            {
                sets.Add(new IpsRuleSetInfo(group.Key, "device chain", [.. group.Select(d => $"device {d.Name}").Order(StringComparer.Ordinal)], rules));
            }
        }

        return sets;
    }

    private static IReadOnlyList<IpsRuleInfo> Rules(ChainDefinition chain) =>
        [.. RuleInspectionReport.Of([chain]).Select(r => new IpsRuleInfo(r.Sid, r.Message, r.Action, r.Inspection, r.Origin))];
}
