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
    }

    public IpsRule[] Rules { get; }

    /// <summary>Some tcp (or ip) rule inspects payload: TCP session state then matters (see IpsElement).</summary>
    public bool HasTcpContentRules => Array.Exists(Rules, r => r.Protocol is RuleProtocol.Tcp or RuleProtocol.Ip && !r.Contents.IsEmpty);

    /// <summary>Rules for ICMP packets (icmp and ip rules).</summary>
    public int[] Icmp { get; }

    /// <summary>Rules for IP packets with no decoded TCP/UDP/ICMP header (ip rules only).</summary>
    public int[] OtherIp { get; }

    public int BucketCount => _buckets.Length;

    public int[] Tcp(ushort dstPort) => _buckets[_tcpBucketByPort[dstPort]];

    public int[] Udp(ushort dstPort) => _buckets[_udpBucketByPort[dstPort]];

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
