using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Common;

/// <summary>Which way a rule applies: in = network→device, out = device→network.</summary>
public enum DirectionMatch : byte
{
    Any,
    In,
    Out,
}

/// <summary>Which frames a rule applies to. <c>Any</c> means every IP or ARP frame (not other ethertypes).</summary>
public enum ProtocolMatch : byte
{
    Any,
    Ip,
    Tcp,
    Udp,
    Icmp,
    Arp,
}

/// <summary>Evaluation of the direction and protocol parts of a match (shared by every match-based element).</summary>
public static class MatchRules
{
    public static bool Matches(this DirectionMatch dir, Direction direction) => dir switch
    {
        DirectionMatch.In => direction == Direction.ToDevice,
        DirectionMatch.Out => direction == Direction.FromDevice,
        _ => true,
    };

    /// <summary>Later IPv4 fragments match by protocol (their header says tcp/udp) but carry no ports.</summary>
    public static bool Matches(this ProtocolMatch proto, Frame frame) => proto switch
    {
        ProtocolMatch.Any => frame.IsIp || frame.IsArp,
        ProtocolMatch.Ip => frame.IsIp,
        ProtocolMatch.Tcp => frame.IsIp && frame.IpProtocol == IpProtocols.Tcp,
        ProtocolMatch.Udp => frame.IsIp && frame.IpProtocol == IpProtocols.Udp,
        ProtocolMatch.Icmp => frame.IsIp && frame.IpProtocol is IpProtocols.Icmp or IpProtocols.IcmpV6,
        ProtocolMatch.Arp => frame.IsArp,
        _ => false,
    };
}

/// <summary>
/// A set of TCP/UDP ports given as numbers, ranges (<c>8000-8080</c>) or lists of both. Few ranges are the
/// norm, so a linear scan over two small arrays is the fastest check and allocates nothing.
/// </summary>
public sealed class PortSet
{
    private readonly ushort[] _low;
    private readonly ushort[] _high;

    public PortSet(IReadOnlyList<(ushort Low, ushort High)> ranges)
    {
        _low = new ushort[ranges.Count];
        _high = new ushort[ranges.Count];
        for (int i = 0; i < ranges.Count; i++)
        {
            (_low[i], _high[i]) = ranges[i];
        }
    }

    public bool Contains(ushort port)
    {
        var low = _low;
        var high = _high;
        for (int i = 0; i < low.Length; i++)
        {
            if (port >= low[i] && port <= high[i])
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() =>
        string.Join(",", _low.Select((l, i) => l == _high[i] ? $"{l}" : $"{l}-{_high[i]}"));
}

/// <summary>
/// A set of addresses and CIDR blocks (IPv4 and IPv6). Small sets are scanned; larger ones (block lists) are
/// grouped by prefix length into hash sets, so a check costs one hash lookup per distinct prefix length.
/// </summary>
public sealed class AddressSet
{
    private const int ScanLimit = 8;

    private readonly IpNetwork[] _networks;
    private readonly (UInt128 Mask, HashSet<UInt128> Prefixes)[] _byLength;

    public AddressSet(IReadOnlyList<IpNetwork> networks)
    {
        _networks = [.. networks];
        MatchesAll = _networks.Any(n => n.Bits == 0);
        _byLength = _networks.Length <= ScanLimit
            ? []
            : [.. _networks.GroupBy(n => n.Bits).OrderBy(g => g.Key).Select(g => (g.First().Mask, g.Select(n => n.Prefix).ToHashSet()))];
    }

    public int Count => _networks.Length;

    public bool MatchesAll { get; }

    public bool Contains(UInt128 ip)
    {
        if (MatchesAll)
        {
            return true;
        }

        if (_byLength.Length == 0)
        {
            foreach (var n in _networks)
            {
                if (n.Contains(ip))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var (mask, prefixes) in _byLength)
        {
            if (prefixes.Contains(ip & mask))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => string.Join(",", _networks);
}

/// <summary>
/// The "address/port/protocol" part of a rule, seen from the device: direction, protocol, remote addresses,
/// device-side ports (<c>lport</c>) and remote ports (<c>rport</c>). Null parts match anything. A match with
/// ports only ever matches TCP/UDP packets whose ports were decoded (not ARP, ICMP or later fragments).
/// </summary>
public sealed class TrafficMatch
{
    public static readonly TrafficMatch Everything = new(DirectionMatch.Any, ProtocolMatch.Any, null, null, null);

    public TrafficMatch(DirectionMatch direction, ProtocolMatch protocol, AddressSet? remote, PortSet? localPorts, PortSet? remotePorts)
    {
        Direction = direction;
        Protocol = protocol;
        Remote = remote is { MatchesAll: true } ? null : remote;
        LocalPorts = localPorts;
        RemotePorts = remotePorts;
    }

    public DirectionMatch Direction { get; }

    public ProtocolMatch Protocol { get; }

    public AddressSet? Remote { get; }

    public PortSet? LocalPorts { get; }

    public PortSet? RemotePorts { get; }

    /// <summary>Does the (decoded) frame match? Allocation-free.</summary>
    public bool Matches(Frame frame)
    {
        if (!Direction.Matches(frame.Direction) || !Protocol.Matches(frame))
        {
            return false;
        }

        if (Remote is not null && !Remote.Contains(frame.RemoteIp()))
        {
            return false;
        }

        if (LocalPorts is null && RemotePorts is null)
        {
            return true;
        }

        return frame.HasPorts()
            && (LocalPorts is null || LocalPorts.Contains(frame.LocalPort()))
            && (RemotePorts is null || RemotePorts.Contains(frame.RemotePort()));
    }

    public override string ToString()
    {
        var parts = new List<string>();
        if (Direction != DirectionMatch.Any)
        {
            parts.Add($"dir {Direction.ToString().ToLowerInvariant()}");
        }

        if (Protocol != ProtocolMatch.Any)
        {
            parts.Add($"proto {Protocol.ToString().ToLowerInvariant()}");
        }

        if (Remote is not null)
        {
            parts.Add($"remote {Remote}");
        }

        if (LocalPorts is not null)
        {
            parts.Add($"lport {LocalPorts}");
        }

        if (RemotePorts is not null)
        {
            parts.Add($"rport {RemotePorts}");
        }

        return parts.Count == 0 ? "any" : string.Join(" ", parts);
    }
}
