using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;

namespace KalkiEdge.Umboxes;

public static partial class UmboxLibrary
{
    static partial void RegisterNetwork(ElementRegistry registry) => registry
        .Add(Firewall.ElementName, "allow/deny by direction, protocol, remote address and ports; optional stateful flow tracking", Firewall.Compile)
        .Add(RateLimit.ElementName, "anti-DoS: per-source packets-per-second and new-TCP-connection limits, flood alerts", RateLimit.Compile)
        .Add(IpBlock.ElementName, "drops frames to/from a static list of addresses and CIDR blocks, optional alert", IpBlock.Compile)
        .Add(LogStats.ElementName, "logs frame and byte counts per direction and protocol every interval (frame time)", LogStats.Compile)
        .Add(PortScan.ElementName, "detects distinct-port, XMAS, NULL and FIN scans toward the device; optional block", PortScan.Compile);
}
