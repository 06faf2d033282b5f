using KalkiEdge.Core;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>What a matching rule does. <c>drop</c> also alerts (Snort/Suricata semantics).</summary>
public enum RuleAction : byte
{
    Alert,
    Drop,
}

/// <summary>The rule's protocol keyword; <c>ip</c> matches every IP packet.</summary>
public enum RuleProtocol : byte
{
    Ip,
    Tcp,
    Udp,
    Icmp,
}

/// <summary>Direction and state conditions of the <c>flow</c> keyword (see <see cref="FlowTable"/> for how they are tracked).</summary>
public readonly record struct FlowCondition(bool ToServer, bool ToClient, bool Established, bool NotEstablished)
{
    public bool IsEmpty => !ToServer && !ToClient && !Established && !NotEstablished;

    public bool Matches(PacketFlow flow) =>
        (!ToServer || flow.ToServer)
        && (!ToClient || !flow.ToServer)
        && (!Established || flow.Established)
        && (!NotEstablished || !flow.Established);
}

/// <summary>Flow facts about one packet, computed by the flow table before rules are matched.</summary>
public readonly record struct PacketFlow(bool ToServer, bool Established, bool FirstInDirection, bool HasTcpSession);

public enum ThresholdType : byte
{
    /// <summary>Alert on the first N matches in each window.</summary>
    Limit,

    /// <summary>Alert on every Nth match in the window.</summary>
    Threshold,

    /// <summary>Alert once, on the Nth match in the window.</summary>
    Both,
}

public enum ThresholdTrack : byte
{
    BySrc,
    ByDst,
    ByRule,
}

/// <summary>The <c>threshold</c> keyword: type, what is tracked, count and window.</summary>
public sealed record ThresholdSpec(ThresholdType Type, ThresholdTrack Track, int Count, long WindowMicros);

/// <summary>
/// One parsed rule: header (action, protocol, addresses, ports, direction) and options. Immutable and shared by
/// every device's instance of the element.
/// </summary>
public sealed class IpsRule
{
    public required RuleAction Action { get; init; }

    public required RuleProtocol Protocol { get; init; }

    public required AddressSet Source { get; init; }

    public required PortSet SourcePorts { get; init; }

    public required AddressSet Destination { get; init; }

    public required PortSet DestinationPorts { get; init; }

    /// <summary><c>&lt;&gt;</c>: the rule also matches with source and destination swapped.</summary>
    public required bool Bidirectional { get; init; }

    public required long Sid { get; init; }

    public int Rev { get; init; }

    public string Message { get; init; } = "";

    public string? ClassType { get; init; }

    public ContentSequence Contents { get; init; } = ContentSequence.Empty;

    public TcpFlagsCondition? Flags { get; init; }

    public FlowCondition Flow { get; init; }

    public ThresholdSpec? Threshold { get; init; }

    /// <summary>File and line the rule came from (for messages and duplicate-sid reports).</summary>
    public required SourceSpan At { get; init; }

    public string Origin => $"{At.File}:{At.Line}";

    /// <summary>
    /// A rule with no content, flags or flow condition looks only at addresses, ports and protocol. Suricata runs
    /// such rules ("IP-only") on the first packet of each direction of a flow only, and so do we.
    /// </summary>
    public bool IsHeaderOnly => Contents.IsEmpty && Flags is null && Flow.IsEmpty;

    /// <summary>Header match in the rule's own direction (and, for <c>&lt;&gt;</c>, swapped).</summary>
    public bool MatchesEndpoints(UInt128 src, ushort srcPort, UInt128 dst, ushort dstPort) =>
        (Source.Contains(src) && Destination.Contains(dst) && SourcePorts.Contains(srcPort) && DestinationPorts.Contains(dstPort))
        || (Bidirectional && Source.Contains(dst) && Destination.Contains(src) && SourcePorts.Contains(dstPort) && DestinationPorts.Contains(srcPort));

    public override string ToString() => $"sid {Sid} ({Origin})";
}
