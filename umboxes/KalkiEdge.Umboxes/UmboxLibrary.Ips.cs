using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Ips;

namespace KalkiEdge.Umboxes;

public static partial class UmboxLibrary
{
    static partial void RegisterIps(ElementRegistry registry)
    {
        // One threshold state per registry, i.e. per appliance: every device's ips element counts into it.
        var thresholds = new SharedThresholds();
        registry.Add("ips", "Snort/Suricata rule subset: alerts (and drops, for drop rules) on matching frames", args => IpsElement.Compile(args, thresholds), "ips(rules: [camera.rules, xmas-scan.rules], home-net: 192.0.2.0/24)");
    }
}
