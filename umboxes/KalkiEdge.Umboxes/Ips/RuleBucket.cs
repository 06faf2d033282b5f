namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// The rules one kind of packet can match (a protocol, and for TCP/UDP a destination port), with the fast patterns
/// of just those rules: as Suricata's signature groups, a packet is scanned only for the patterns its own
/// candidate rules need, so a byte common in some other port's patterns costs this port nothing.
/// </summary>
public sealed class RuleBucket
{
    public RuleBucket(IReadOnlyList<IpsRule> all, int[] members, FastPatterns? patterns)
    {
        Rules = members;
        ReadsFlow = Array.Exists(members, n => !all[n].Flow.IsEmpty || all[n].IsHeaderOnly);
        Patterns = patterns;
    }

    /// <summary>Rule numbers (positions in <see cref="RuleIndex.Rules"/>), in file order.</summary>
    public int[] Rules { get; }

    /// <summary>Some member reads flow state (a flow condition, or a header-only rule's first-in-direction).</summary>
    public bool ReadsFlow { get; }

    /// <summary>The members' fast patterns (null when no member has content, or they are too many for the prefilter).</summary>
    public FastPatterns? Patterns { get; }
}
