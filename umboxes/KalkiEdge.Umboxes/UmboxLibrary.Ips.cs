using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Ips;

namespace KalkiEdge.Umboxes;

public static partial class UmboxLibrary
{
    static partial void RegisterIps(ElementRegistry registry) => registry
        .Add("ips", "Snort/Suricata rule subset: alerts (and drops, for drop rules) on matching frames", IpsElement.Compile, "ips(rules: [camera.rules, xmas-scan.rules], home-net: 192.0.2.0/24)");
}
