using System.Globalization;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// Address variables a rule may name. <c>$HOME_NET</c> and <c>$EXTERNAL_NET</c> are <c>any</c> unless the
/// element sets <c>home-net</c>; then <c>$EXTERNAL_NET</c> is <c>!$HOME_NET</c> (Suricata's default).
/// </summary>
public sealed class RuleVariables
{
    public RuleVariables(string? homeNet = null)
    {
        Addresses["HOME_NET"] = homeNet ?? "any";
        Addresses["EXTERNAL_NET"] = homeNet is null ? "any" : "!$HOME_NET";
    }

    public Dictionary<string, string> Addresses { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Parses address and port fields: <c>any</c>, single values, CIDR blocks / <c>a:b</c> ranges, <c>[..]</c>
/// lists (nested), <c>!</c> negation and <c>$VARIABLES</c>. Nested negation (a <c>!</c> inside a negated
/// group) is rejected rather than guessed at. Errors come back as messages.
/// </summary>
public static class AddressParser
{
    public static AddressSet? ParseAddresses(string field, RuleVariables variables, out string? error)
    {
        var collector = new AddressCollector(variables);
        error = new FieldReader(field, collector.Add).Read(false, 0);
        return error is null ? collector.Result() : null;
    }

    public static PortSet? ParsePorts(string field, out string? error)
    {
        var collector = new PortCollector();
        error = new FieldReader(field, collector.Add).Read(false, 0);
        return error is null ? collector.Result() : null;
    }

    private sealed class AddressCollector(RuleVariables variables)
    {
        private const int MaxVariableDepth = 8;
        private readonly List<IpNetwork> _include = [];
        private readonly List<IpNetwork> _exclude = [];
        private bool _any;

        public string? Add(string atom, bool negated, int depth)
        {
            if (atom == "any")
            {
                if (negated)
                {
                    return "'!any' (or a negated variable that is any) matches no address";
                }

                _any = true;
                return null;
            }

            if (atom.StartsWith('$'))
            {
                if (!variables.Addresses.TryGetValue(atom[1..], out var value))
                {
                    return $"unknown address variable '{atom}' (known: {string.Join(", ", variables.Addresses.Keys.Select(k => "$" + k))})";
                }

                return depth >= MaxVariableDepth
                    ? $"variable '{atom}' refers to itself"
                    : new FieldReader(value, Add).Read(negated, depth + 1);
            }

            if (atom == "*" || !IpNetwork.TryParse(atom, out var net))
            {
                return $"'{atom}' is not an address, CIDR block, list, variable or 'any'";
            }

            (negated ? _exclude : _include).Add(net);
            return null;
        }

        public AddressSet Result() =>
            _any && _exclude.Count == 0 ? AddressSet.Any : new AddressSet(_any ? [] : [.. _include], [.. _exclude]);
    }

    private sealed class PortCollector
    {
        private readonly List<(ushort, ushort)> _include = [];
        private readonly List<(ushort, ushort)> _exclude = [];
        private bool _any;

        public string? Add(string atom, bool negated, int depth)
        {
            if (atom == "any")
            {
                if (negated)
                {
                    return "'!any' matches no port";
                }

                _any = true;
                return null;
            }

            if (atom.StartsWith('$'))
            {
                return $"port variables such as '{atom}' are not supported; write the ports";
            }

            if (ParseRange(atom) is not { } range)
            {
                return $"'{atom}' is not a port (0-65535), range 'a:b', list or 'any'";
            }

            (negated ? _exclude : _include).Add(range);
            return null;
        }

        public PortSet Result() =>
            _any && _exclude.Count == 0 ? PortSet.Any : new PortSet(_any ? [] : [.. _include], [.. _exclude]);

        private static (ushort, ushort)? ParseRange(string atom)
        {
            var colon = atom.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return ParsePort(atom) is { } p ? (p, p) : null;
            }

            var low = colon == 0 ? (ushort)0 : ParsePort(atom[..colon]);
            var high = colon == atom.Length - 1 ? ushort.MaxValue : ParsePort(atom[(colon + 1)..]);
            return low is { } l && high is { } h && l <= h ? (l, h) : null;
        }

        private static ushort? ParsePort(string text) =>
            ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
    }

    /// <summary>
    /// Walks one field's list syntax and hands each atom, with its negation, to a collector. Lists nest at most
    /// <see cref="MaxNesting"/> deep, so a hostile rule cannot exhaust the stack.
    /// </summary>
    private sealed class FieldReader(string text, Func<string, bool, int, string?> atom)
    {
        private const int MaxNesting = 16;
        private int _pos;
        private int _nesting;

        private void SkipSpaces()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        public string? Read(bool negated, int depth)
        {
            var error = Item(negated, depth);
            if (error is null && _pos < text.Length)
            {
                error = $"unexpected '{text[_pos..]}' in '{text}'";
            }

            return error;
        }

        private string? Item(bool negated, int depth)
        {
            SkipSpaces();
            if (_pos >= text.Length)
            {
                return $"missing value in '{text}'";
            }

            if (text[_pos] == '!')
            {
                if (negated)
                {
                    return $"nested negation is not supported in '{text}'";
                }

                _pos++;
                return Item(true, depth);
            }

            if (text[_pos] == '[')
            {
                if (++_nesting > MaxNesting)
                {
                    return $"lists nested deeper than {MaxNesting} levels";
                }

                _pos++;
                while (true)
                {
                    var error = Item(negated, depth);
                    if (error is not null)
                    {
                        return error;
                    }

                    SkipSpaces();
                    if (_pos >= text.Length)
                    {
                        return $"unclosed '[' in '{text}'";
                    }

                    char c = text[_pos++];
                    if (c == ']')
                    {
                        _nesting--;
                        return null;
                    }

                    if (c != ',')
                    {
                        return $"expected ',' or ']' in '{text}'";
                    }
                }
            }

            int start = _pos;
            while (_pos < text.Length && text[_pos] is not (',' or ']' or '[' or '!'))
            {
                _pos++;
            }

            var value = text[start.._pos].Trim();
            SkipSpaces();
            return value.Length == 0 ? $"missing value in '{text}'" : atom(value, negated, depth);
        }
    }
}
