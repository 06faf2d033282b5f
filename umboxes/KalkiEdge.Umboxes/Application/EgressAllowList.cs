using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// The device's egress allow-list: what it may send, as outbound traffic matches (remote addresses, protocol,
/// remote and device-side ports — the shared match vocabulary of the firewall), each shaped like a MUD
/// (RFC 8520) "from-device" ACE so MUD files can be translated into it later. Traffic from one of the
/// device's service ports (replies of the services it offers) is allowed as well. O(rules) per frame, no
/// allocation.
/// </summary>
public sealed class EgressAllowList(IReadOnlyList<TrafficMatch> rules, PortSet? servicePorts)
{
    private readonly TrafficMatch[] _rules = [.. rules];

    public IReadOnlyList<TrafficMatch> Rules => _rules;

    public PortSet? ServicePorts { get; } = servicePorts;

    /// <summary>True when a decoded, device-originated IP frame is allowed.</summary>
    public bool Allows(Frame frame)
    {
        if (ServicePorts is not null && frame.HasPorts() && ServicePorts.Contains(frame.LocalPort()))
        {
            return true;
        }

        foreach (var rule in _rules)
        {
            if (rule.Matches(frame))
            {
                return true;
            }
        }

        return false;
    }
}
