namespace KalkiEdge.Core;

/// <summary>
/// The addresses of the packet behind an alert (its 5-tuple), copied by value from the decoded frame when the
/// alert is raised, so the forwarding path never allocates for it. Addresses are 128-bit, IPv4 stored
/// IPv4-mapped (::ffff:a.b.c.d); ports are 0 when the protocol has none.
/// </summary>
public readonly record struct FlowTuple(UInt128 SourceIp, UInt128 DestinationIp, ushort SourcePort, ushort DestinationPort, byte Protocol)
{
    // 51 bits, as Suricata reduces its flow_id, because JSON consumers (JavaScript) lose precision above 2^53.
    private const ulong IdMask = 0x7_FFFF_FFFF_FFFF;
    private const ulong FnvOffset = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;

    /// <summary>True when the protocol carries ports (TCP, UDP, SCTP), so src_port/dest_port mean something.</summary>
    public bool HasPorts => Protocol is 6 or 17 or 132;

    /// <summary>
    /// A stable id for the flow this packet belongs to: the same for both directions (the endpoints are ordered
    /// before hashing, as Suricata does), the same across runs and appliances (fixed FNV-1a, no per-process seed),
    /// never 0. It correlates an alert with other events of the flow, not with Suricata's own ids.
    /// </summary>
    public long Id
    {
        get
        {
            var (a, aPort, b, bPort) = (SourceIp, SourcePort, DestinationIp, DestinationPort);
            if (a > b || (a == b && aPort > bPort))
            {
                (a, aPort, b, bPort) = (b, bPort, a, aPort);
            }

            ulong h = FnvOffset;
            h = Mix(h, (ulong)(a >> 64));
            h = Mix(h, (ulong)a);
            h = Mix(h, (ulong)(b >> 64));
            h = Mix(h, (ulong)b);
            h = Mix(h, ((ulong)aPort << 24) | ((ulong)bPort << 8) | Protocol);
            var id = (long)(h & IdMask);
            return id == 0 ? 1 : id;
        }
    }

    private static ulong Mix(ulong h, ulong value)
    {
        for (int i = 0; i < 8; i++)
        {
            h = (h ^ (byte)(value >> (8 * i))) * FnvPrime;
        }

        return h;
    }
}
