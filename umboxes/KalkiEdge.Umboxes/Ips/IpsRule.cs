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

/// <summary>
/// Flow facts about one packet, computed by the flow table before rules are matched. <paramref name="Slot"/> names
/// the flow's table entry until the table's next update (growth moves entries), and <paramref name="Generation"/>
/// tells the flow from any later one that took its entry.
/// </summary>
public readonly record struct PacketFlow(bool ToServer, bool Established, bool FirstInDirection, bool HasTcpSession, int Slot = -1, uint Generation = 0, bool Dropped = false);

/// <summary>What a rule's content is matched against in a TCP session (see <see cref="IpsRule.Inspection"/>).</summary>
public enum RuleInspection : byte
{
    /// <summary>Each packet's own payload (rules with <c>flags</c>, non-TCP rules, rules without content).</summary>
    Packet,

    /// <summary>The reassembled stream around the packet, or the packet's own payload (Suricata's default for content rules).</summary>
    StreamOrPacket,
}

/// <summary>Stream-engine events a rule can ask for with <c>stream-event</c>.</summary>
public enum StreamEvent : byte
{
    None,

    /// <summary>A segment overlapped data already seen with different bytes (the classic overlap evasion).</summary>
    OverlapDifferentData,
}

public static class StreamEvents
{
    public const string OverlapDifferentDataName = "reassembly_overlap_different_data";
}

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

    public StreamEvent StreamEvent { get; init; }

    /// <summary>File and line the rule came from (for messages and duplicate-sid reports).</summary>
    public required SourceSpan At { get; init; }

    public string Origin => $"{At.File}:{At.Line}";

    /// <summary>
    /// A rule with no content, flags or flow condition looks only at addresses, ports and protocol. Suricata runs
    /// such rules ("IP-only") on the first packet of each direction of a flow only, and so do we.
    /// </summary>
    public bool IsHeaderOnly => Contents.IsEmpty && Flags is null && Flow.IsEmpty && StreamEvent == StreamEvent.None;

    /// <summary>
    /// As Suricata decides it: a tcp or ip rule with content and no packet-level keyword (<c>flags</c>) is matched
    /// on the reassembled stream of a TCP session or, failing that, on the packet; everything else on packets only.
    /// </summary>
    public RuleInspection Inspection =>
        Protocol is RuleProtocol.Tcp or RuleProtocol.Ip && !Contents.IsEmpty && Flags is null ? RuleInspection.StreamOrPacket : RuleInspection.Packet;

    /// <summary>Header match in the rule's own direction (and, for <c>&lt;&gt;</c>, swapped).</summary>
    public bool MatchesEndpoints(UInt128 src, ushort srcPort, UInt128 dst, ushort dstPort) =>
        (Source.Contains(src) && Destination.Contains(dst) && SourcePorts.Contains(srcPort) && DestinationPorts.Contains(dstPort))
        || (Bidirectional && Source.Contains(dst) && Destination.Contains(src) && SourcePorts.Contains(dstPort) && DestinationPorts.Contains(srcPort));

    public override string ToString() => $"sid {Sid} ({Origin})";
}
