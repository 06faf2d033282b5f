using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Application;

/// <summary>Which transport an egress rule covers.</summary>
public enum EgressProtocol : byte
{
    Any,
    Tcp,
    Udp,
    Icmp,
}

/// <summary>
/// One allowed kind of device-originated traffic: to a remote address block, over a protocol, to remote ports.
/// Shaped like a MUD (RFC 8520) ACE "from-device" entry so MUD files can be translated into it later.
/// </summary>
/// <param name="RemotePorts">Null = any port (and any protocol without ports); otherwise TCP/UDP only.</param>
public sealed record EgressRule(IpNetwork Remote, EgressProtocol Protocol, PortSet? RemotePorts);

/// <summary>
/// The device's egress allow-list: what it may send. Traffic from one of its service ports (replies of the
/// services it offers) is allowed as well. IPv4 fragments after the first carry no ports, so they match only
/// rules without ports. O(rules) per frame, no allocation.
/// </summary>
public sealed class EgressAllowList(IReadOnlyList<EgressRule> rules, PortSet? localPorts)
{
    private readonly EgressRule[] _rules = [.. rules];

    public IReadOnlyList<EgressRule> Rules => _rules;

    public PortSet? LocalPorts { get; } = localPorts;

    /// <summary>True when a decoded, device-originated IP frame is allowed.</summary>
    public bool Allows(Frame frame)
    {
        bool hasPorts = frame.IsTcp || frame.IsUdp;
        if (hasPorts && LocalPorts is not null && LocalPorts.Contains(frame.SrcPort))
        {
            return true;
        }

        foreach (var rule in _rules)
        {
            if (rule.Remote.Contains(frame.DstIp) && ProtocolMatches(rule.Protocol, frame)
                && (rule.RemotePorts is null || (hasPorts && rule.RemotePorts.Contains(frame.DstPort))))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ProtocolMatches(EgressProtocol protocol, Frame frame) => protocol switch
    {
        EgressProtocol.Any => true,
        EgressProtocol.Tcp => frame.IpProtocol == IpProtocols.Tcp,
        EgressProtocol.Udp => frame.IpProtocol == IpProtocols.Udp,
        _ => frame.IpProtocol is IpProtocols.Icmp or IpProtocols.IcmpV6,
    };
}
