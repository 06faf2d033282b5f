using System.Buffers.Binary;
using System.Text;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>Validated, shared configuration of an <c>ips</c> element.</summary>
/// <param name="NeedsFlows">Some rule has a flow condition: every packet must update the flow table.</param>
/// <param name="TracksTcpSessions">Some tcp rule inspects payload: SYNs and FIN/RST packets with payload update the flow table.</param>
/// <param name="Streams">Sizes of each tracked session's reassembly buffers.</param>
public sealed record IpsConfig(RuleIndex Index, bool NeedsFlows, bool TracksTcpSessions, int FlowCapacity, SharedThresholds Thresholds, int AlertCapPerSecond, StreamLimits Streams);

/// <summary>
/// <c>ips(rules: camera.rules, home-net: 192.0.2.0/24)</c>: runs a Snort/Suricata rule subset over each frame.
/// Matching rules raise <c>ips</c> alerts (sid, msg); <c>drop</c> rules also drop the frame and, in a tracked flow,
/// every later packet of the flow that reaches the flow table (inline Suricata drops the flow too). Each rule alerts
/// at most <c>alert-cap</c> times per second of frame time; alerts beyond that are counted into the next one.
/// Rules with no content, flags or flow condition are checked on the first packet of each flow direction only
/// (Suricata's IP-only rules). Flow tables are per device, bounded, and created on first use; <c>threshold</c>
/// state is the appliance's, shared by every device's element (<see cref="SharedThresholds"/>), as Suricata
/// counts <c>track by_src</c>/<c>by_dst</c> across all its traffic.
/// TCP sessions seen from their SYN are reassembled per direction (<see cref="TcpStreamDirection"/>: out-of-order
/// segments wait for their gap, overlaps keep the first bytes, retransmissions are silent). A content rule without
/// <c>flags</c> matches the stream around each data segment (<c>stream-window</c> bytes) or the segment itself,
/// and alerts at most once per turn of a direction (<see cref="TcpSession"/>); rules with <c>flags</c> see packets
/// only (<see cref="IpsRule.Inspection"/>), as in Suricata. <c>stream-event: reassembly_overlap_different_data</c>
/// matches a segment that overlapped earlier data with different bytes. Reassembly buffers come from a pool of at
/// most <c>stream-memory</c> bytes (<see cref="StreamBuffers"/>). Content rules are searched only when their fast
/// pattern is in the packet or its stream window (<see cref="FastPatterns"/>, one automaton per port group).
/// </summary>
public sealed class IpsElement(IpsConfig config) : Element
{
    private const long CapWindowMicros = 1_000_000;
    private const TcpFlags SessionFlags = TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst;

    private readonly RuleIndex _index = config.Index;

    // Which of its bucket's fast patterns the packet's payload and its stream window hold (scanned once per packet, when a rule needs it).
    private readonly ulong[] _inPayload = new ulong[config.Index.PatternWords];
    private readonly ulong[] _inStream = new ulong[config.Index.PatternWords];
    private FlowTable? _flows;
    private TcpSessions? _sessions;
    private AlertCap? _cap;

    public long SuppressedAlerts => _cap?.Suppressed ?? 0;

    public long FlowEvictions => _flows?.Evictions ?? 0;

    public long ThresholdEvictions => config.Thresholds.Evictions;

    /// <summary>Segments that overlapped stored data with different bytes (inspected as the stored bytes).</summary>
    public long StreamOverlapsDifferent { get; private set; }

    /// <summary>Segments inspected alone because they fell outside the reassembly buffers (too far ahead, too many holes, too old).</summary>
    public long StreamSegmentsNotReassembled { get; private set; }

    /// <summary>Stream directions that passed <c>stream-depth</c> and are inspected packet by packet from then on.</summary>
    public long StreamDepthReached { get; private set; }

    /// <summary>Times a stream direction needed a buffer and <c>stream-memory</c> was all in use (its segments are then inspected alone).</summary>
    public long StreamMemoryExhausted => _sessions?.MemoryExhausted ?? 0;

    /// <summary>Bounds compile time and memory per element (the shipped rule sets hold a few hundred).</summary>
    public const int MaxRules = 100_000;

    /// <summary>Compiles an element whose threshold state is <paramref name="thresholds"/>, the appliance's.</summary>
    public static IElementSpec? Compile(ElementArgs args, SharedThresholds thresholds)
    {
        var files = args.Required("rules", "rule files")?.AsList() ?? [];
        string? homeNet = HomeNet(args);
        int flows = (int)args.Int("flows", 256, 16, 1 << 20);
        int thresholdCapacity = (int)args.Int("thresholds", 256, 4, 1 << 20);
        int cap = (int)args.Int("alert-cap", 100, 1, 1_000_000);
        var streams = new StreamLimits(
            (int)args.Int("stream-window", 2560, 64, 65_536),
            (int)args.Int("stream-out-of-order", 2560, 0, 65_536),
            args.Int("stream-depth", 1_048_576, 0, 1L << 30),
            args.Int("stream-memory", 16 << 20, 1 << 16, 1L << 34));

        int errorsBefore = args.Diagnostics.Items.Count;
        var parser = new RuleParser(new RuleVariables(homeNet));
        var rules = new List<IpsRule>();
        foreach (var node in files)
        {
            var name = args.ScalarText(node);
            var file = name is null ? null : args.Resources.Load(name, node.At, args.Diagnostics);
            if (file is null)
            {
                continue;
            }

            var parsed = parser.ParseFile(file.Name, Encoding.UTF8.GetString(file.Content), args.Diagnostics);
            if (parsed.Count == 0 && args.Diagnostics.Items.Count == errorsBefore)
            {
                args.Error(node.At, $"rule file '{file.Name}' contains no rules");
            }

            rules.AddRange(parsed);
            if (rules.Count > MaxRules)
            {
                args.Error(node.At, $"more than {MaxRules} rules in one ips element; split them across devices or images");
                return null;
            }
        }

        ReportDuplicateSids(rules, args.Diagnostics);
        if (args.Diagnostics.Items.Count > errorsBefore || rules.Count == 0)
        {
            return null;
        }

        bool needsFlows = rules.Exists(r => !r.Flow.IsEmpty);
        var index = new RuleIndex(rules);
        thresholds.Reserve(thresholdCapacity);
        var config = new IpsConfig(index, needsFlows, index.HasTcpContentRules, flows, thresholds, cap, streams);
        return new ElementSpec<IpsConfig>("ips", config, static c => new IpsElement(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            return Verdict.Drop;
        }

        if (!frame.IsIp)
        {
            return Verdict.Forward;
        }

        RuleBucket candidates;
        ReadOnlySpan<byte> payload = default;
        ushort srcPort = 0, dstPort = 0;
        bool flowIsRead;
        if (frame.IsTcp)
        {
            srcPort = frame.SrcPort;
            dstPort = frame.DstPort;
            candidates = _index.Tcp(dstPort);
            flowIsRead = _index.TcpFlowIsRead(srcPort, dstPort);
            payload = frame.Payload;
        }
        else if (frame.IsUdp)
        {
            srcPort = frame.SrcPort;
            dstPort = frame.DstPort;
            candidates = _index.Udp(dstPort);
            flowIsRead = _index.UdpFlowIsRead(srcPort, dstPort);
            payload = frame.Payload;
        }
        else if (frame.IsIcmp)
        {
            candidates = _index.Icmp;
            flowIsRead = _index.IcmpReadsFlow;
            payload = IcmpPayload(frame);
        }
        else
        {
            candidates = _index.OtherIp;
            flowIsRead = _index.OtherIpReadsFlow;
        }

        // Flow conditions need every packet of a flow some rule can examine (the handshake's SYN+ACK usually has no
        // candidate rules); flows no flow-reading rule can ever see skip the table. Header-only rules consult the
        // table only when they match, since all packets of a flow direction share a header. Content rules need the
        // session's SYNs, closes and data segments for reassembly.
        bool haveFlow = (config.NeedsFlows && flowIsRead) || (config.TracksTcpSessions && frame.IsTcp && (frame.TcpFlags & SessionFlags) != 0);
        PacketFlow flow = default;
        if (haveFlow)
        {
            flow = Flows.Update(frame, srcPort, dstPort);
        }
        else if (config.TracksTcpSessions && frame.IsTcp && payload.Length > 0 && Flows.UpdateExisting(frame, srcPort, dstPort) is { } known)
        {
            // Data of a flow whose SYN was tracked; data of flows never seen from a SYN takes no entry.
            flow = known;
            haveFlow = true;
        }

        if (flow.Dropped)
        {
            return Verdict.Drop;
        }

        // Like Suricata, a FIN or RST outside a tracked TCP session (no SYN seen) has its payload ignored.
        if (haveFlow && frame.IsTcp && (frame.TcpFlags & (TcpFlags.Fin | TcpFlags.Rst)) != 0 && !flow.HasTcpSession)
        {
            payload = default;
        }

        TcpSession? session = null;
        ReadOnlySpan<byte> stream = default;
        bool overlapDifferent = false;
        if (haveFlow && frame.IsTcp && flow.HasTcpSession)
        {
            session = Flows.Session(flow);
            if (Reassemble(frame, session, flow.ToServer, candidates.Rules.Length > 0, payload) is { } segment)
            {
                var direction = session.Direction(flow.ToServer);
                if (segment.PacketEnd - segment.PacketStart == payload.Length)
                {
                    // The segment as the stream holds it: where it overlapped earlier bytes, those won.
                    payload = direction.Slice(segment.PacketStart, segment.PacketEnd);
                }

                stream = direction.Slice(segment.WindowStart, segment.WindowEnd);
                overlapDifferent = segment.OverlapDifferent;
            }
        }

        bool drop = false;
        bool isTcp = frame.IsTcp;
        var tcpFlags = frame.TcpFlags;
        var srcIp = frame.SrcIp;
        var dstIp = frame.DstIp;
        var rules = _index.Rules;
        var patterns = candidates.Patterns;
        bool scanned = false;
        foreach (var n in candidates.Rules)
        {
            var rule = rules[n];

            // Cheapest and most selective tests first: a content rule whose fast pattern the packet and its stream
            // lack (every packet without data) is out at once; the scan rules' flags reject nearly every packet.
            if ((!rule.Contents.IsEmpty && !MayContain(patterns, n, rule, payload, stream, ref scanned))
                || (rule.Flags is { } flags && (!isTcp || !flags.Matches(tcpFlags)))
                || !rule.MatchesEndpoints(srcIp, srcPort, dstIp, dstPort)
                || (!rule.Flow.IsEmpty && !rule.Flow.Matches(flow))
                || (rule.StreamEvent == StreamEvent.OverlapDifferentData && !overlapDifferent)
                || !ContentMatches(patterns, n, rule, payload, stream))
            {
                continue;
            }

            // The stream around a segment holds the request's earlier segments too: one alert per turn.
            if (!stream.IsEmpty && rule.Inspection == RuleInspection.StreamOrPacket && !session!.FirstInTurn(flow.ToServer, n))
            {
                continue;
            }

            if (rule.IsHeaderOnly)
            {
                if (!haveFlow)
                {
                    flow = Flows.Update(frame, srcPort, dstPort);
                    haveFlow = true;
                }

                if (!flow.FirstInDirection)
                {
                    continue;
                }
            }

            var decision = ThresholdDecision.Alert;
            if (rule.Threshold is { } threshold)
            {
                context.TakeTurn(); // one threshold table counts every device's matches: in frame order under sharding
                decision = config.Thresholds.Check(rule.Sid, threshold, TrackedKey(threshold.Track, frame), frame.TimestampMicros);
            }

            if (decision == ThresholdDecision.Alert)
            {
                (_cap ??= new AlertCap(_index.Rules.Length, config.AlertCapPerSecond)).Raise(n, rule, frame.TimestampMicros, context);
            }

            drop |= rule.Action == RuleAction.Drop;
        }

        if (drop && haveFlow)
        {
            Flows.Drop(flow);
        }

        if (session is not null && (tcpFlags & TcpFlags.Fin) != 0)
        {
            session.Finished(flow.ToServer);
        }

        return drop ? Verdict.Drop : Verdict.Forward;
    }

    private FlowTable Flows => _flows ??= CreateFlows();

    private FlowTable CreateFlows()
    {
        _sessions = new TcpSessions(config.Streams);
        return new FlowTable(config.FlowCapacity, _sessions);
    }

    /// <summary>
    /// Whether the payload or, for a stream rule, the stream window may hold the rule's contents: false when neither
    /// has data or the rule's fast pattern is in neither. Both are scanned once per packet, by the first content rule
    /// that asks.
    /// </summary>
    private bool MayContain(FastPatterns? patterns, int n, IpsRule rule, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> stream, ref bool scanned)
    {
        bool inStream = !stream.IsEmpty && rule.Inspection == RuleInspection.StreamOrPacket;
        if (payload.IsEmpty && !inStream)
        {
            return false;
        }

        if (patterns is null)
        {
            return true;
        }

        if (!scanned)
        {
            patterns.Scan(stream, _inStream);

            // A payload inside the stream window holds no pattern the window lacks: the window's scan stands for it.
            if (stream.Overlaps(payload, out int at) && at >= 0 && at + payload.Length <= stream.Length)
            {
                _inStream.CopyTo(_inPayload.AsSpan());
            }
            else
            {
                patterns.Scan(payload, _inPayload);
            }

            scanned = true;
        }

        return patterns.MayMatch(n, _inPayload) || (inStream && patterns.MayMatch(n, _inStream));
    }

    /// <summary>The rule's contents match the packet's payload or, for a stream rule, the stream window (each searched only where the prefilter found its fast pattern).</summary>
    private bool ContentMatches(FastPatterns? patterns, int n, IpsRule rule, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> stream)
    {
        if (rule.Contents.IsEmpty)
        {
            return true;
        }

        return ((patterns is null || patterns.MayMatch(n, _inPayload)) && rule.Contents.Matches(payload))
            || (!stream.IsEmpty && rule.Inspection == RuleInspection.StreamOrPacket
                && (patterns is null || patterns.MayMatch(n, _inStream)) && rule.Contents.Matches(stream));
    }

    /// <summary>
    /// Feeds a segment of a tracked session to its direction's stream. Returns where its inspection window and its
    /// own (first-seen) bytes lie in the stream, or null when it carries no data, no rule looks at this direction,
    /// or it could not be reassembled (then it is inspected alone).
    /// </summary>
    private SegmentResult? Reassemble(Frame frame, TcpSession session, bool toServer, bool inspected, ReadOnlySpan<byte> payload)
    {
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(frame.Data[(frame.L4Offset + 4)..]);
        var direction = session.Direction(toServer);
        if ((frame.TcpFlags & TcpFlags.Syn) != 0)
        {
            // Data on a SYN is inspected as a packet; the stream starts after the SYN's sequence number.
            direction.Start(unchecked(sequence + 1));
            return null;
        }

        if (payload.IsEmpty)
        {
            return null;
        }

        session.DataSeen(toServer);
        if (!inspected)
        {
            return null;
        }

        bool wasDeep = direction.DepthReached;
        var result = direction.Add(sequence, payload);
        switch (result.Outcome)
        {
            case SegmentOutcome.Reassembled:
                break;
            case SegmentOutcome.DepthReached or SegmentOutcome.KeepAlive:
                return null;
            default:
                StreamSegmentsNotReassembled++;
                return null;
        }

        if (result.OverlapDifferent)
        {
            StreamOverlapsDifferent++;
        }

        if (result.Truncated)
        {
            StreamSegmentsNotReassembled++;
        }

        if (!wasDeep && direction.DepthReached)
        {
            StreamDepthReached++;
        }

        return result;
    }

    /// <summary>Suricata's ICMP payload starts after the 8-byte ICMP header (type, code, checksum, rest).</summary>
    private static ReadOnlySpan<byte> IcmpPayload(Frame frame)
    {
        int start = frame.L4Offset + 8;
        int end = frame.PayloadOffset + frame.PayloadLength;
        return start <= end ? frame.Data[start..end] : default;
    }

    private static UInt128 TrackedKey(ThresholdTrack track, Frame frame) => track switch
    {
        ThresholdTrack.BySrc => frame.SrcIp,
        ThresholdTrack.ByDst => frame.DstIp,
        _ => 0,
    };

    private static string? HomeNet(ElementArgs args)
    {
        var node = args.Node("home-net", "addresses");
        if (node is null)
        {
            return null;
        }

        var text = node.Kind == ArgKind.List ? "[" + string.Join(",", node.Items.Select(i => i.Text)) + "]" : node.Text;
        if (node.Kind == ArgKind.Map || node.Items.Any(i => i.Kind != ArgKind.Scalar))
        {
            args.Error(node.At, $"'home-net' must be an address, CIDR block or list of them, got {node}");
            return null;
        }

        AddressParser.ParseAddresses(text, new RuleVariables(), out var error);
        if (error is not null)
        {
            args.Error(node.At, $"'home-net': {error}");
            return null;
        }

        return text;
    }

    private static void ReportDuplicateSids(List<IpsRule> rules, DiagnosticBag diagnostics)
    {
        var first = new Dictionary<long, IpsRule>();
        foreach (var rule in rules)
        {
            if (!first.TryAdd(rule.Sid, rule))
            {
                diagnostics.Error(rule.At, $"sid {rule.Sid} is already used by the rule at {first[rule.Sid].Origin}");
            }
        }
    }

    /// <summary>At most N alerts per rule per second of frame time; the rest are counted into the next alert.</summary>
    private sealed class AlertCap(int rules, int perSecond)
    {
        private readonly long[] _windowStart = new long[rules];
        private readonly int[] _raised = new int[rules];
        private readonly int[] _pending = new int[rules];

        public long Suppressed { get; private set; }

        public void Raise(int n, IpsRule rule, long now, ElementContext context)
        {
            if (now - _windowStart[n] >= CapWindowMicros)
            {
                _windowStart[n] = now;
                _raised[n] = 0;
            }

            if (_raised[n] >= perSecond)
            {
                _pending[n]++;
                Suppressed++;
                return;
            }

            _raised[n]++;
            int count = 1 + _pending[n];
            _pending[n] = 0;
            context.Raise(AlertTypes.Ips, rule.Message.Length > 0 ? rule.Message : $"sid {rule.Sid}", rule.Sid, count, rule.Rev, rule.ClassType);
        }
    }
}
