namespace KalkiEdge.Panel.Fingerprinting;

/// <summary>
/// How a supported device family identifies itself, and the pack it gets. Every pattern matches as a
/// case-insensitive substring; each kind of evidence counts once.
/// </summary>
public sealed record FamilySignature(string Pack, string Vendor)
{
    public IReadOnlyList<string> HostNames { get; init; } = [];

    public IReadOnlyList<string> VendorClasses { get; init; } = [];

    public IReadOnlyList<string> MdnsServices { get; init; } = [];

    public IReadOnlyList<string> Ssdp { get; init; } = [];

    public IReadOnlyList<string> HttpServers { get; init; } = [];

    /// <summary>The shipped families: what each announces in its first minutes on a network.</summary>
    public static IReadOnlyList<FamilySignature> Shipped { get; } =
    [
        // Hue bridges are named Philips-hue, announce _hue._tcp over mDNS and "IpBridge" in their SSDP SERVER header.
        new("philips-hue-bridge", "philips") { HostNames = ["philips-hue"], MdnsServices = ["_hue._tcp"], Ssdp = ["IpBridge", "hue-bridgeid"] },

        // WeMo plugs: SSDP device type urn:Belkin:device:*, and a literal "Unspecified, UPnP/1.0, Unspecified" banner.
        new("wemo-insight", "belkin") { HostNames = ["wemo"], Ssdp = ["urn:Belkin:device"], HttpServers = ["Unspecified, UPnP/1.0, Unspecified"] },

        // D-Link DCS cameras: host names DCS-xxxx, the vendor's DHCP class, their web servers' banners.
        new("dlink-camera", "dlink") { HostNames = ["DCS-"], VendorClasses = ["dlink", "d-link"], Ssdp = ["D-Link"], HttpServers = ["dcs-lig-httpd", "alphapd"] },

        // Udoo boards (SECO): UDOObuntu's host names.
        new("udoo-neo", "seco") { HostNames = ["udoo"], MdnsServices = ["_udoo"] },
    ];
}
