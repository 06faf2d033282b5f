namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// Pre-indexes rules so a frame is checked only against rules that can match it: per protocol, and for TCP
/// and UDP per destination port (a 64K table of bucket numbers; identical buckets are shared). <c>ip</c> rules
/// join every bucket; a <c>&lt;&gt;</c> rule joins the buckets of both its port fields. Buckets hold rule
/// numbers (positions in <see cref="Rules"/>) so per-rule state can live in plain arrays, and their own fast
/// patterns (<see cref="RuleBucket"/>).
/// </summary>
public sealed class RuleIndex
{
    private readonly ushort[] _tcpBucketByPort;
    private readonly ushort[] _udpBucketByPort;
    /// <summary>Bounds the port groups' automata together (4 bytes an entry): 64 MB at most.</summary>
    public const long PatternTableBudget = 4L * FastPatterns.MaxTableEntries;

    private readonly RuleBucket[] _buckets;
    private long _patternEntries;
    private FastPatterns? _allPatterns;
    private bool _allPatternsBuilt;

    public RuleIndex(IReadOnlyList<IpsRule> rules)
    {
        Rules = [.. rules];
        var buckets = new List<int[]>();
        var bucketIds = new Dictionary<string, ushort>(StringComparer.Ordinal);
        _tcpBucketByPort = PortTable(RuleProtocol.Tcp, buckets, bucketIds);
        _udpBucketByPort = PortTable(RuleProtocol.Udp, buckets, bucketIds);
        _buckets = [.. buckets.Select(Bucket)];
        Icmp = Bucket(Select(r => r.Protocol is RuleProtocol.Icmp or RuleProtocol.Ip));
        OtherIp = Bucket(Select(r => r.Protocol == RuleProtocol.Ip));
        PatternWords = _buckets.Append(Icmp).Append(OtherIp).Max(b => b.Patterns?.Words ?? 0);
    }

    /// <summary>Words of the largest bucket's scan result (<see cref="FastPatterns.Words"/>): the size of an element's scratch.</summary>
    public int PatternWords { get; }

    public IpsRule[] Rules { get; }

    /// <summary>Some tcp (or ip) rule inspects payload: TCP session state then matters (see IpsElement).</summary>
    public bool HasTcpContentRules => Array.Exists(Rules, r => r.Protocol is RuleProtocol.Tcp or RuleProtocol.Ip && !r.Contents.IsEmpty);

    /// <summary>Rules for ICMP packets (icmp and ip rules).</summary>
    public RuleBucket Icmp { get; }

    /// <summary>Rules for IP packets with no decoded TCP/UDP/ICMP header (ip rules only).</summary>
    public RuleBucket OtherIp { get; }

    public int BucketCount => _buckets.Length;

    /// <summary>Some ICMP candidate rule reads flow state.</summary>
    public bool IcmpReadsFlow => Icmp.ReadsFlow;

    /// <summary>Some rule for other IP protocols reads flow state.</summary>
    public bool OtherIpReadsFlow => OtherIp.ReadsFlow;

    /// <summary>
    /// Whether any rule that can ever see a packet of the TCP flow between these ports reads flow state. Every
    /// packet of a flow has one of its two ports as destination, so the two buckets hold all such rules; the
    /// answer is the same for both directions, so a flow is either tracked on all its packets or on none.
    /// </summary>
    public bool TcpFlowIsRead(ushort portA, ushort portB) =>
        _buckets[_tcpBucketByPort[portA]].ReadsFlow || _buckets[_tcpBucketByPort[portB]].ReadsFlow;

    /// <summary>As <see cref="TcpFlowIsRead"/>, for UDP.</summary>
    public bool UdpFlowIsRead(ushort portA, ushort portB) =>
        _buckets[_udpBucketByPort[portA]].ReadsFlow || _buckets[_udpBucketByPort[portB]].ReadsFlow;

    public RuleBucket Tcp(ushort dstPort) => _buckets[_tcpBucketByPort[dstPort]];

    public RuleBucket Udp(ushort dstPort) => _buckets[_udpBucketByPort[dstPort]];

    private RuleBucket Bucket(int[] members) => new(Rules, members, PatternsOf(members));

    /// <summary>
    /// The group's own automaton while the groups' automata fit <see cref="PatternTableBudget"/>; beyond it, the whole
    /// set's (its patterns are a superset of any group's, so it still only skips rules that cannot match).
    /// </summary>
    private FastPatterns? PatternsOf(int[] members)
    {
        if (!Array.Exists(members, n => !Rules[n].Contents.IsEmpty))
        {
            return null;
        }

        var own = FastPatterns.Build(Rules, members);
        if (own is not null && _patternEntries + own.TableEntries <= PatternTableBudget)
        {
            _patternEntries += own.TableEntries;
            return own;
        }

        if (!_allPatternsBuilt)
        {
            _allPatterns = FastPatterns.Build(Rules);
            _allPatternsBuilt = true;
        }

        return _allPatterns;
    }

    private int[] Select(Func<IpsRule, bool> predicate) =>
        [.. Enumerable.Range(0, Rules.Length).Where(i => predicate(Rules[i]))];

    private ushort[] PortTable(RuleProtocol protocol, List<int[]> buckets, Dictionary<string, ushort> bucketIds)
    {
        var candidates = Select(r => r.Protocol == protocol || r.Protocol == RuleProtocol.Ip);
        var table = new ushort[65536];
        var members = new List<int>();
        var key = new System.Text.StringBuilder();
        for (int port = 0; port < 65536; port++)
        {
            members.Clear();
            key.Clear();
            foreach (var n in candidates)
            {
                var r = Rules[n];
                if (r.DestinationPorts.Contains((ushort)port) || (r.Bidirectional && r.SourcePorts.Contains((ushort)port)))
                {
                    members.Add(n);
                    key.Append(n).Append(',');
                }
            }

            var k = key.ToString();
            if (!bucketIds.TryGetValue(k, out var id))
            {
                id = (ushort)buckets.Count;
                buckets.Add([.. members]);
                bucketIds[k] = id;
            }

            table[port] = id;
        }

        return table;
    }
}
