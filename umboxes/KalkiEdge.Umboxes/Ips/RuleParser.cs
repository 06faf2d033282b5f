using KalkiEdge.Core;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// Parses Snort/Suricata rule files (the subset this element runs):
/// <c>action proto src sport dir dst dport (option; option: value; ...)</c>. Every malformed rule and every
/// unsupported keyword is an error with file, line and column; all errors of a file are reported at once and
/// no rule is ever silently skipped or half-applied.
/// </summary>
public sealed class RuleParser(RuleVariables variables)
{
    public List<IpsRule> ParseFile(string file, string content, DiagnosticBag diagnostics)
    {
        var rules = new List<IpsRule>();
        foreach (var text in RuleText.Split(file, content))
        {
            if (ParseRule(text, diagnostics) is { } rule)
            {
                rules.Add(rule);
            }
        }

        return rules;
    }

    public IpsRule? ParseRule(RuleText rule, DiagnosticBag diagnostics)
    {
        int errorsBefore = diagnostics.Items.Count;
        var text = rule.Text;
        int open = text.IndexOf('(', StringComparison.Ordinal);
        if (open < 0)
        {
            diagnostics.Error(rule.Start, "rule has no options: expected 'action proto src sport -> dst dport (options)'");
            return null;
        }

        var header = HeaderFields(text, open);
        if (header.Count != 7)
        {
            diagnostics.Error(rule.Start, $"rule header must have 7 fields 'action proto src sport -> dst dport', found {header.Count}: '{text[..open].Trim()}'");
            return null;
        }

        var action = ParseAction(header[0], rule, diagnostics);
        var protocol = ParseProtocol(header[1], rule, diagnostics);
        var source = Addresses(header[2], rule, diagnostics);
        var sourcePorts = Ports(header[3], protocol, rule, diagnostics);
        bool bidirectional = header[4].Text == "<>";
        if (header[4].Text is not ("->" or "<>"))
        {
            diagnostics.Error(rule.At(header[4].Index), $"direction must be '->' or '<>', got '{header[4].Text}'");
        }

        var destination = Addresses(header[5], rule, diagnostics);
        var destinationPorts = Ports(header[6], protocol, rule, diagnostics);

        var options = new RuleOptionsBuilder(rule, protocol, diagnostics);
        int close = text.LastIndexOf(')');
        if (close < open || text[(close + 1)..].Trim().Length > 0)
        {
            diagnostics.Error(rule.At(text.Length - 1), "rule options must end with ')'");
            close = text.Length;
        }

        foreach (var option in SplitOptions(text, open + 1, close, rule, diagnostics))
        {
            options.Apply(option);
        }

        var built = options.Finish();
        if (diagnostics.Items.Count > errorsBefore || built is null || source is null || destination is null || sourcePorts is null || destinationPorts is null)
        {
            return null;
        }

        return new IpsRule
        {
            Action = action,
            Protocol = protocol,
            Source = source,
            SourcePorts = sourcePorts,
            Destination = destination,
            DestinationPorts = destinationPorts,
            Bidirectional = bidirectional,
            Sid = built.Sid,
            Rev = built.Rev,
            Message = built.Message,
            ClassType = built.ClassType,
            Contents = built.Contents,
            Flags = built.Flags,
            Flow = built.Flow,
            Threshold = built.Threshold,
            StreamEvent = built.StreamEvent,
            At = rule.Start,
        };
    }

    private static RuleAction ParseAction(Field f, RuleText rule, DiagnosticBag diagnostics)
    {
        switch (f.Text)
        {
            case "alert": return RuleAction.Alert;
            case "drop": return RuleAction.Drop;
            default:
                diagnostics.Error(rule.At(f.Index), $"unsupported action '{f.Text}' (supported: alert, drop)");
                return RuleAction.Alert;
        }
    }

    private static RuleProtocol ParseProtocol(Field f, RuleText rule, DiagnosticBag diagnostics)
    {
        switch (f.Text)
        {
            case "ip": return RuleProtocol.Ip;
            case "tcp": return RuleProtocol.Tcp;
            case "udp": return RuleProtocol.Udp;
            case "icmp": return RuleProtocol.Icmp;
            default:
                diagnostics.Error(rule.At(f.Index), $"unsupported protocol '{f.Text}' (supported: tcp, udp, icmp, ip)");
                return RuleProtocol.Ip;
        }
    }

    private AddressSet? Addresses(Field f, RuleText rule, DiagnosticBag diagnostics)
    {
        var set = AddressParser.ParseAddresses(f.Text, variables, out var error);
        if (error is not null)
        {
            diagnostics.Error(rule.At(f.Index), $"address: {error}");
        }

        return set;
    }

    private static PortSet? Ports(Field f, RuleProtocol protocol, RuleText rule, DiagnosticBag diagnostics)
    {
        var set = AddressParser.ParsePorts(f.Text, out var error);
        if (error is not null)
        {
            diagnostics.Error(rule.At(f.Index), $"port: {error}");
        }
        else if (protocol is RuleProtocol.Icmp or RuleProtocol.Ip && set is { IsAny: false })
        {
            diagnostics.Error(rule.At(f.Index), $"ports must be 'any' for protocol {protocol.ToString().ToLowerInvariant()} (ports exist only for tcp and udp)");
        }

        return set;
    }

    /// <summary>Header fields split on spaces, except inside [..] lists.</summary>
    private static List<Field> HeaderFields(string text, int end)
    {
        var fields = new List<Field>();
        int depth = 0;
        int start = -1;
        for (int i = 0; i <= end; i++)
        {
            char c = i < end ? text[i] : ' ';
            if (char.IsWhiteSpace(c) && depth == 0)
            {
                if (start >= 0)
                {
                    fields.Add(new Field(text[start..i], start));
                    start = -1;
                }

                continue;
            }

            if (start < 0)
            {
                start = i;
            }

            depth += c == '[' ? 1 : c == ']' ? -1 : 0;
        }

        return fields;
    }

    /// <summary>Splits <c>key: value;</c> options, honouring quotes and backslash escapes.</summary>
    private static List<RuleOption> SplitOptions(string text, int start, int end, RuleText rule, DiagnosticBag diagnostics)
    {
        var options = new List<RuleOption>();
        int optionStart = start;
        bool quoted = false;
        for (int i = start; i <= end; i++)
        {
            char c = i < end ? text[i] : ';';
            if (i < end && c == '\\')
            {
                i++;
                continue;
            }

            if (i < end && c == '"')
            {
                quoted = !quoted;
                continue;
            }

            if (c != ';' || (quoted && i < end))
            {
                continue;
            }

            if (quoted)
            {
                diagnostics.Error(rule.At(optionStart), "unterminated quoted string in rule options");
                break;
            }

            var raw = text[optionStart..i];
            if (raw.Trim().Length > 0)
            {
                options.Add(RuleOption.From(raw, optionStart));
            }
            else if (i < end)
            {
                diagnostics.Error(rule.At(i), "empty rule option (';;')");
            }

            optionStart = i + 1;
        }

        return options;
    }

    private readonly record struct Field(string Text, int Index);
}

/// <summary>One <c>keyword[: value]</c> option with where its keyword and value start in the rule text.</summary>
public readonly record struct RuleOption(string Keyword, string? Value, int KeywordIndex, int ValueIndex)
{
    public static RuleOption From(string raw, int index)
    {
        int lead = raw.Length - raw.TrimStart().Length;
        int colon = raw.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return new RuleOption(raw.Trim(), null, index + lead, index + lead);
        }

        var value = raw[(colon + 1)..];
        int valueLead = value.Length - value.TrimStart().Length;
        return new RuleOption(raw[..colon].Trim(), value.Trim(), index + lead, index + colon + 1 + valueLead);
    }
}
