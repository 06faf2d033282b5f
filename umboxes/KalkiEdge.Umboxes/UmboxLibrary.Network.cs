using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;

namespace KalkiEdge.Umboxes;

public static partial class UmboxLibrary
{
    static partial void RegisterNetwork(ElementRegistry registry) => registry
        .Add(Firewall.ElementName, "allow/deny by direction, protocol, remote address and ports; optional stateful flow tracking", Firewall.Compile, "firewall(default: drop, stateful: true, rules: [{action: allow, dir: out, proto: tcp, rport: 443}, {action: allow, proto: arp}])")
        .Add(RateLimit.ElementName, "anti-DoS: per-source packets-per-second and new-TCP-connection limits, flood alerts", RateLimit.Compile, "rate-limit(pps: 1000, connections: 5, window: 1s, prefix: /32)")
        .Add(IpBlock.ElementName, "drops frames to/from a static list of addresses and CIDR blocks, optional alert", IpBlock.Compile, "ip-block(block: [203.0.113.0/24, 198.51.100.7], alert: true, alert-type: abnormal-egress)")
        .Add(LogStats.ElementName, "logs frame and byte counts per direction and protocol every interval (frame time)", LogStats.Compile, "log-stats(interval: 1min)")
        .Add(PortScan.ElementName, "detects distinct-port, XMAS, NULL and FIN scans toward the device; optional block", PortScan.Compile, "port-scan(ports: 20, window: 10s, block: true, block-for: 1min)");
}
