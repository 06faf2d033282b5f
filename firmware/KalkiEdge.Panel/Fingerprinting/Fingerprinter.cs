namespace KalkiEdge.Panel.Fingerprinting;

/// <summary>
/// Scores a candidate's evidence against each family whose pack is loaded and picks the best. Weights: OUI 45,
/// mDNS service 40, SSDP 40, DHCP host name 30, HTTP banner 25, DHCP vendor class 20 (a family's sum, at most 99).
/// Evidence pointing at two families lowers the confidence by half the runner-up's score. Below the threshold
/// the device gets the generic pack and needs review.
/// </summary>
public sealed class Fingerprinter(IReadOnlyList<FamilySignature> families, OuiTable oui, string genericPack, int threshold)
{
    public const int OuiWeight = 45;
    public const int MdnsWeight = 40;
    public const int SsdpWeight = 40;
    public const int HostNameWeight = 30;
    public const int HttpWeight = 25;
    public const int VendorClassWeight = 20;

    public int Threshold => threshold;

    public Pairing.PairingVerdict Decide(ulong mac, Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var vendor = oui.Lookup(mac);
        var scored = families.Select(f => (Family: f, Score: Score(f, vendor, evidence))).OrderByDescending(x => x.Score).ToList();
        var best = scored.FirstOrDefault();
        var runnerUp = scored.Count > 1 ? scored[1].Score : 0;
        var confidence = best.Family is null ? 0 : Math.Clamp(best.Score - (runnerUp / 2), 0, 99);
        var summary = (vendor is null ? "" : $"oui {vendor.Organisation}; ") + evidence;
        return confidence >= threshold
            ? new Pairing.PairingVerdict(mac, best.Family!.Pack, confidence, false, summary) { MudUrl = evidence.MudUrl }
            : new Pairing.PairingVerdict(mac, genericPack, confidence, true, summary.Length == 0 ? "nothing identifying" : summary) { MudUrl = evidence.MudUrl };
    }

    public static int Score(FamilySignature family, OuiVendor? vendor, Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(evidence);
        var score = 0;
        score += vendor?.Key == family.Vendor ? OuiWeight : 0;
        score += Any(family.MdnsServices, evidence.MdnsServices) ? MdnsWeight : 0;
        score += Any(family.Ssdp, evidence.Ssdp) ? SsdpWeight : 0;
        score += Matches(family.HostNames, evidence.HostName) ? HostNameWeight : 0;
        score += Matches(family.HttpServers, evidence.HttpServer) ? HttpWeight : 0;
        score += Matches(family.VendorClasses, evidence.VendorClass) ? VendorClassWeight : 0;
        return Math.Min(score, 99);
    }

    private static bool Any(IReadOnlyList<string> patterns, IReadOnlyList<string> values) => values.Any(v => Matches(patterns, v));

    private static bool Matches(IReadOnlyList<string> patterns, string? value) =>
        value is not null && patterns.Any(p => value.Contains(p, StringComparison.OrdinalIgnoreCase));
}
