namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// Pre-indexes rules so a frame is checked only against rules that can match it: per protocol, and for TCP
/// and UDP per destination port (a 64K table of bucket numbers; identical buckets are shared). <c>ip</c> rules
/// join every bucket; a <c>&lt;&gt;</c> rule joins the buckets of both its port fields. Buckets hold rule
/// numbers (positions in <see cref="Rules"/>) so per-rule state can live in plain arrays.
/// </summary>
public sealed class RuleIndex
{
    private readonly ushort[] _tcpBucketByPort;
    private readonly ushort[] _udpBucketByPort;
    private readonly int[][] _buckets;

    // Per bucket: some member reads flow state (a flow condition, or a header-only rule's first-in-direction).
    private readonly bool[] _bucketReadsFlow;

    public RuleIndex(IReadOnlyList<IpsRule> rules)
    {
        Rules = [.. rules];
        var buckets = new List<int[]>();
        var bucketIds = new Dictionary<string, ushort>(StringComparer.Ordinal);
        _tcpBucketByPort = PortTable(RuleProtocol.Tcp, buckets, bucketIds);
        _udpBucketByPort = PortTable(RuleProtocol.Udp, buckets, bucketIds);
        _buckets = [.. buckets];
        Icmp = Select(r => r.Protocol is RuleProtocol.Icmp or RuleProtocol.Ip);
        OtherIp = Select(r => r.Protocol == RuleProtocol.Ip);
        _bucketReadsFlow = Array.ConvertAll(_buckets, ReadsFlow);
        IcmpReadsFlow = ReadsFlow(Icmp);
        OtherIpReadsFlow = ReadsFlow(OtherIp);
        Patterns = FastPatterns.Build(Rules);
    }

    /// <summary>The rules' fast patterns (null when no rule has content, or the set is too large for the prefilter).</summary>
    public FastPatterns? Patterns { get; }

    public IpsRule[] Rules { get; }

    /// <summary>Some tcp (or ip) rule inspects payload: TCP session state then matters (see IpsElement).</summary>
    public bool HasTcpContentRules => Array.Exists(Rules, r => r.Protocol is RuleProtocol.Tcp or RuleProtocol.Ip && !r.Contents.IsEmpty);

    /// <summary>Rules for ICMP packets (icmp and ip rules).</summary>
    public int[] Icmp { get; }

    /// <summary>Rules for IP packets with no decoded TCP/UDP/ICMP header (ip rules only).</summary>
    public int[] OtherIp { get; }

    public int BucketCount => _buckets.Length;

    /// <summary>Some ICMP candidate rule reads flow state.</summary>
    public bool IcmpReadsFlow { get; }

    /// <summary>Some rule for other IP protocols reads flow state.</summary>
    public bool OtherIpReadsFlow { get; }

    /// <summary>
    /// Whether any rule that can ever see a packet of the TCP flow between these ports reads flow state. Every
    /// packet of a flow has one of its two ports as destination, so the two buckets hold all such rules; the
    /// answer is the same for both directions, so a flow is either tracked on all its packets or on none.
    /// </summary>
    public bool TcpFlowIsRead(ushort portA, ushort portB) =>
        _bucketReadsFlow[_tcpBucketByPort[portA]] || _bucketReadsFlow[_tcpBucketByPort[portB]];

    /// <summary>As <see cref="TcpFlowIsRead"/>, for UDP.</summary>
    public bool UdpFlowIsRead(ushort portA, ushort portB) =>
        _bucketReadsFlow[_udpBucketByPort[portA]] || _bucketReadsFlow[_udpBucketByPort[portB]];

    public int[] Tcp(ushort dstPort) => _buckets[_tcpBucketByPort[dstPort]];

    public int[] Udp(ushort dstPort) => _buckets[_udpBucketByPort[dstPort]];

    private bool ReadsFlow(int[] bucket) => Array.Exists(bucket, n => !Rules[n].Flow.IsEmpty || Rules[n].IsHeaderOnly);

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
