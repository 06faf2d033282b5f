using System.Globalization;
using System.Text;
using KalkiEdge.Core;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>The options of one rule once they are all read and checked.</summary>
public sealed record RuleOptions(
    long Sid,
    int Rev,
    string Message,
    string? ClassType,
    ContentSequence Contents,
    TcpFlagsCondition? Flags,
    FlowCondition Flow,
    ThresholdSpec? Threshold,
    StreamEvent StreamEvent);

/// <summary>
/// Reads a rule's options in order (content modifiers apply to the content before them), reporting every
/// problem with its place. Supported: msg, sid, rev, classtype, reference and metadata (informational),
/// content with nocase/offset/depth/distance/within (fast_pattern accepted: it only tunes Suricata's prefilter),
/// flags, flow, threshold, stream-event (<c>reassembly_overlap_different_data</c>). Anything else is an error.
/// </summary>
public sealed class RuleOptionsBuilder(RuleText rule, RuleProtocol protocol, DiagnosticBag diagnostics)
{
    private readonly int _errorsBefore = diagnostics.Items.Count;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<ContentMatch> _contents = [];
    private PendingContent? _content;
    private long? _sid;
    private int _rev;
    private string _message = "";
    private string? _classType;
    private TcpFlagsCondition? _flags;
    private FlowCondition _flow;
    private ThresholdSpec? _threshold;
    private StreamEvent _streamEvent;

    public void Apply(RuleOption o)
    {
        switch (o.Keyword)
        {
            case "msg":
                Once(o);
                _message = QuotedText(o) ?? "";
                break;
            case "sid":
                Once(o);
                _sid = Number(o, 1, uint.MaxValue);
                break;
            case "rev":
                Once(o);
                _rev = (int)(Number(o, 0, int.MaxValue) ?? 0);
                break;
            case "classtype":
                Once(o);
                _classType = Word(o);
                break;
            case "reference" or "metadata":
                NeedValue(o);
                break;
            case "content":
                StartContent(o);
                break;
            case "nocase" or "fast_pattern":
                Modifier(o, needsValue: false);
                break;
            case "offset" or "depth" or "distance" or "within":
                Modifier(o, needsValue: true);
                break;
            case "flags":
                Once(o);
                Flags(o);
                break;
            case "flow":
                Once(o);
                Flow(o);
                break;
            case "threshold":
                Once(o);
                Threshold(o);
                break;
            case "stream-event":
                Once(o);
                StreamEventOption(o);
                break;
            default:
                Error(o.KeywordIndex, $"unsupported rule option '{o.Keyword}' (supported: msg, sid, rev, classtype, reference, metadata, content, nocase, offset, depth, distance, within, fast_pattern, flags, flow, threshold, stream-event)");
                break;
        }
    }

    public RuleOptions? Finish()
    {
        CloseContent();
        if (_sid is null)
        {
            // A missing sid is worth reporting only when nothing else (e.g. a broken quote) hid it.
            if (!_seen.Contains("sid") && diagnostics.Items.Count == _errorsBefore)
            {
                diagnostics.Error(rule.Start, "rule has no 'sid'");
            }

            return null;
        }

        if (_flags is { } f && _contents.Count == 0 && f.Modifier != FlagsModifier.Not && (f.Flags & (byte)DataPlane.TcpFlags.Syn) != 0)
        {
            _flags = f with { NeedsSynPacket = true };
        }

        return new RuleOptions(_sid.Value, _rev, _message, _classType, new ContentSequence([.. _contents]), _flags, _flow, _threshold, _streamEvent);
    }

    private void Error(int index, string message) => diagnostics.Error(rule.At(index), message);

    private void Once(RuleOption o)
    {
        if (!_seen.Add(o.Keyword))
        {
            Error(o.KeywordIndex, $"'{o.Keyword}' is given twice");
        }
    }

    private string? NeedValue(RuleOption o)
    {
        if (string.IsNullOrEmpty(o.Value))
        {
            Error(o.KeywordIndex, $"'{o.Keyword}' needs a value ('{o.Keyword}: ...;')");
            return null;
        }

        return o.Value;
    }

    private long? Number(RuleOption o, long min, long max)
    {
        var text = NeedValue(o);
        if (text is null)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            Error(o.ValueIndex, $"'{o.Keyword}' must be a whole number from {min} to {max}, got '{text}'");
            return null;
        }

        return n;
    }

    private string? Word(RuleOption o)
    {
        var text = NeedValue(o);
        if (text is not null && !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            Error(o.ValueIndex, $"'{o.Keyword}' must be a single word, got '{text}'");
            return null;
        }

        return text;
    }

    private string? QuotedText(RuleOption o)
    {
        var text = NeedValue(o);
        if (text is null)
        {
            return null;
        }

        var bytes = QuotedString.Decode(text, allowHex: false, out var error);
        if (bytes is null)
        {
            Error(o.ValueIndex, $"'{o.Keyword}': {error}");
            return null;
        }

        return Encoding.UTF8.GetString(bytes);
    }

    private void StreamEventOption(RuleOption o)
    {
        var text = NeedValue(o);
        if (text is null)
        {
            return;
        }

        if (protocol is not (RuleProtocol.Tcp or RuleProtocol.Ip))
        {
            Error(o.KeywordIndex, "'stream-event' needs a tcp (or ip) rule");
            return;
        }

        if (text.Trim() == StreamEvents.OverlapDifferentDataName)
        {
            _streamEvent = StreamEvent.OverlapDifferentData;
            return;
        }

        Error(o.ValueIndex, $"unsupported stream event '{text.Trim()}' (supported: {StreamEvents.OverlapDifferentDataName})");
    }

    private void StartContent(RuleOption o)
    {
        CloseContent();
        var text = NeedValue(o);
        if (text is null)
        {
            return;
        }

        if (text.StartsWith('!'))
        {
            Error(o.ValueIndex, "negated content ('content:!\"...\"') is not supported");
            return;
        }

        var bytes = QuotedString.Decode(text, allowHex: true, out var error);
        if (bytes is null)
        {
            Error(o.ValueIndex, $"content: {error}");
            return;
        }

        _content = new PendingContent(bytes, o.KeywordIndex);
    }

    private void Modifier(RuleOption o, bool needsValue)
    {
        if (_content is null)
        {
            Error(o.KeywordIndex, $"'{o.Keyword}' must follow a 'content' option");
            return;
        }

        if (!_content.Modifiers.Add(o.Keyword))
        {
            Error(o.KeywordIndex, $"'{o.Keyword}' is given twice for the same content");
            return;
        }

        if (!needsValue)
        {
            if (o.Value is not null)
            {
                Error(o.ValueIndex, $"'{o.Keyword}' takes no value");
            }

            _content.NoCase |= o.Keyword == "nocase";
            return;
        }

        var (min, max) = o.Keyword switch
        {
            "offset" => (0L, 65535L),
            "depth" or "within" => (1L, 65535L),
            _ => (-65535L, 65535L),
        };
        if (Number(o, min, max) is not { } n)
        {
            return;
        }

        switch (o.Keyword)
        {
            case "offset": _content.Offset = (int)n; break;
            case "depth": _content.Depth = (int)n; break;
            case "distance": _content.Distance = (int)n; break;
            default: _content.Within = (int)n; break;
        }
    }

    private void CloseContent()
    {
        if (_content is not { } c)
        {
            return;
        }

        _content = null;
        bool absolute = c.Modifiers.Contains("offset") || c.Modifiers.Contains("depth");
        bool relative = c.Modifiers.Contains("distance") || c.Modifiers.Contains("within");
        if (absolute && relative)
        {
            Error(c.Index, "a content cannot mix offset/depth with distance/within");
            return;
        }

        if (relative && _contents.Count == 0)
        {
            Error(c.Index, "distance/within need a previous content to be relative to");
            return;
        }

        if (c.Depth is { } depth && depth < c.Pattern.Length)
        {
            Error(c.Index, $"depth {depth} is shorter than the content ({c.Pattern.Length} bytes)");
            return;
        }

        if (c.Within is { } within && within < c.Pattern.Length)
        {
            Error(c.Index, $"within {within} is shorter than the content ({c.Pattern.Length} bytes)");
            return;
        }

        _contents.Add(new ContentMatch(c.Pattern, c.NoCase, c.Offset, c.Depth, c.Distance, c.Within));
    }

    private void Flags(RuleOption o)
    {
        if (NeedValue(o) is not { } text)
        {
            return;
        }

        if (protocol is not (RuleProtocol.Tcp or RuleProtocol.Ip))
        {
            Error(o.KeywordIndex, "'flags' applies to TCP only (protocol tcp or ip)");
            return;
        }

        _flags = TcpFlagsCondition.Parse(text, out var error);
        if (error is not null)
        {
            Error(o.ValueIndex, error);
        }
    }

    private void Flow(RuleOption o)
    {
        if (NeedValue(o) is not { } text)
        {
            return;
        }

        bool toServer = false, toClient = false, established = false, notEstablished = false;
        foreach (var part in text.Split(','))
        {
            switch (part.Trim())
            {
                case "to_server" or "from_client": toServer = true; break;
                case "to_client" or "from_server": toClient = true; break;
                case "established": established = true; break;
                case "not_established": notEstablished = true; break;
                case "stateless": break;
                default:
                    Error(o.ValueIndex, $"flow: unsupported '{part.Trim()}' (supported: to_server, to_client, from_client, from_server, established, not_established, stateless)");
                    return;
            }
        }

        if ((toServer && toClient) || (established && notEstablished))
        {
            Error(o.ValueIndex, $"flow: contradictory '{text}'");
            return;
        }

        _flow = new FlowCondition(toServer, toClient, established, notEstablished);
    }

    private void Threshold(RuleOption o)
    {
        if (NeedValue(o) is not { } text)
        {
            return;
        }

        ThresholdType? type = null;
        ThresholdTrack? track = null;
        long? count = null, seconds = null;
        foreach (var part in text.Split(','))
        {
            var kv = part.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var value = kv.Length == 2 ? kv[1] : "";
            switch (kv.Length > 0 ? kv[0] : "")
            {
                case "type":
                    type = value switch { "limit" => ThresholdType.Limit, "threshold" => ThresholdType.Threshold, "both" => ThresholdType.Both, _ => null };
                    if (type is null)
                    {
                        Error(o.ValueIndex, $"threshold: type must be limit, threshold or both, got '{value}'");
                        return;
                    }

                    break;
                case "track":
                    track = value switch { "by_src" => ThresholdTrack.BySrc, "by_dst" => ThresholdTrack.ByDst, "by_rule" => ThresholdTrack.ByRule, _ => null };
                    if (track is null)
                    {
                        Error(o.ValueIndex, $"threshold: track must be by_src, by_dst or by_rule, got '{value}'");
                        return;
                    }

                    break;
                case "count":
                    count = PositiveInt(value);
                    break;
                case "seconds":
                    seconds = PositiveInt(value);
                    break;
                default:
                    Error(o.ValueIndex, $"threshold: unknown part '{part.Trim()}' (expected type, track, count, seconds)");
                    return;
            }
        }

        if (type is null || track is null || count is null || seconds is null)
        {
            Error(o.ValueIndex, "threshold needs 'type limit|threshold|both, track by_src|by_dst|by_rule, count N, seconds T' with N and T positive whole numbers");
            return;
        }

        _threshold = new ThresholdSpec(type.Value, track.Value, (int)count.Value, seconds.Value * 1_000_000);
    }

    private static long? PositiveInt(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    private sealed class PendingContent(byte[] pattern, int index)
    {
        public byte[] Pattern { get; } = pattern;

        public int Index { get; } = index;

        public HashSet<string> Modifiers { get; } = new(StringComparer.Ordinal);

        public bool NoCase { get; set; }

        public int Offset { get; set; }

        public int? Depth { get; set; }

        public int? Distance { get; set; }

        public int? Within { get; set; }
    }
}
