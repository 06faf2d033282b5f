using System.Globalization;
using KalkiEdge.Core;

namespace KalkiEdge.DataPlane;

public enum ArgKind
{
    Scalar,
    List,
    Map,
}

/// <summary>One argument value from the chain language, with its place in the source for error reports.</summary>
public sealed class ArgNode
{
    public ArgNode(SourceSpan at, string scalar)
    {
        At = at;
        Kind = ArgKind.Scalar;
        Text = scalar;
    }

    public ArgNode(SourceSpan at, IReadOnlyList<ArgNode> items)
    {
        At = at;
        Kind = ArgKind.List;
        Items = items;
    }

    public ArgNode(SourceSpan at, IReadOnlyList<KeyValuePair<ArgNode, ArgNode>> entries)
    {
        At = at;
        Kind = ArgKind.Map;
        Entries = entries;
    }

    public SourceSpan At { get; }

    public ArgKind Kind { get; }

    public string Text { get; } = "";

    public IReadOnlyList<ArgNode> Items { get; } = [];

    public IReadOnlyList<KeyValuePair<ArgNode, ArgNode>> Entries { get; } = [];

    /// <summary>A scalar is also accepted where a list is expected, as a list of one.</summary>
    public IReadOnlyList<ArgNode> AsList() => Kind == ArgKind.List ? Items : [this];

    public override string ToString() => Kind switch
    {
        ArgKind.Scalar => Text,
        ArgKind.List => "[" + string.Join(", ", Items) + "]",
        _ => "{" + string.Join(", ", Entries.Select(e => $"{e.Key}: {e.Value}")) + "}",
    };
}

/// <summary>Loads files named by element arguments (e.g. IPS rule files) and remembers them for attestation.</summary>
public interface IResourceLoader
{
    /// <summary>Returns the file or null (after reporting why to <paramref name="diagnostics"/>).</summary>
    LoadedFile? Load(string name, SourceSpan at, DiagnosticBag diagnostics);
}

/// <summary>
/// Typed, validated access to a map of arguments (an element's, or a nested map inside one). Every problem is
/// reported with its place; readers get a safe default back so validation continues and all errors surface.
/// </summary>
public sealed class ElementArgs
{
    private readonly Dictionary<string, (ArgNode Key, ArgNode Value)> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public ElementArgs(string owner, SourceSpan at, IReadOnlyList<KeyValuePair<ArgNode, ArgNode>> entries, DiagnosticBag diagnostics, IResourceLoader resources)
    {
        Owner = owner;
        At = at;
        Diagnostics = diagnostics;
        Resources = resources;
        foreach (var (k, v) in entries)
        {
            if (k.Kind != ArgKind.Scalar)
            {
                diagnostics.Error(k.At, $"{owner}: argument names must be plain words, not {k}");
            }
            else if (!_values.TryAdd(k.Text, (k, v)))
            {
                diagnostics.Error(k.At, $"{owner}: argument '{k.Text}' is given twice");
            }
        }
    }

    /// <summary>Element name (or element.key for nested maps), used as the prefix of messages.</summary>
    public string Owner { get; }

    public SourceSpan At { get; }

    public DiagnosticBag Diagnostics { get; }

    public IResourceLoader Resources { get; }

    public bool Has(string key) => _values.ContainsKey(key);

    public void Error(SourceSpan at, string message) => Diagnostics.Error(at, $"{Owner}: {message}");

    public ArgNode? Node(string key)
    {
        _read.Add(key);
        return _values.TryGetValue(key, out var v) ? v.Value : null;
    }

    public ArgNode? Required(string key)
    {
        var n = Node(key);
        if (n is null)
        {
            Error(At, $"missing required argument '{key}'");
        }

        return n;
    }

    public string String(string key, string fallback)
    {
        var n = Node(key);
        return n is null ? fallback : ScalarText(n) ?? fallback;
    }

    public string? ScalarText(ArgNode n)
    {
        if (n.Kind == ArgKind.Scalar)
        {
            return n.Text;
        }

        Error(n.At, $"expected a single value, got {n}");
        return null;
    }

    public long Int(string key, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        var n = Node(key);
        return n is null ? fallback : Int(n, key, fallback, min, max);
    }

    public long Int(ArgNode n, string what, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        var text = ScalarText(n);
        if (text is null)
        {
            return fallback;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Error(n.At, $"'{what}' must be a whole number, got '{text}'");
            return fallback;
        }

        if (value < min || value > max)
        {
            Error(n.At, $"'{what}' must be between {min} and {max}, got {value}");
            return fallback;
        }

        return value;
    }

    public bool Bool(string key, bool fallback)
    {
        var n = Node(key);
        var text = n is null ? null : ScalarText(n);
        switch (text)
        {
            case null: return fallback;
            case "true" or "yes" or "on": return true;
            case "false" or "no" or "off": return false;
            default:
                Error(n!.At, $"'{key}' must be true or false, got '{text}'");
                return fallback;
        }
    }

    /// <summary>A duration with an explicit unit (e.g. 10s, 30min).</summary>
    public long DurationMicros(string key, long fallbackMicros, long minMicros = 1)
    {
        var n = Node(key);
        var text = n is null ? null : ScalarText(n);
        if (text is null)
        {
            return fallbackMicros;
        }

        if (!Duration.TryParseMicros(text, out var micros, out var error))
        {
            Error(n!.At, $"'{key}': {error}");
            return fallbackMicros;
        }

        if (micros < minMicros)
        {
            Error(n!.At, $"'{key}' must be at least {Duration.Format(minMicros)}");
            return fallbackMicros;
        }

        return micros;
    }

    /// <summary>One of a fixed set of words.</summary>
    public string Choice(string key, string fallback, params string[] allowed)
    {
        var n = Node(key);
        var text = n is null ? null : ScalarText(n);
        if (text is null)
        {
            return fallback;
        }

        if (Array.IndexOf(allowed, text) < 0)
        {
            Error(n!.At, $"'{key}' must be one of {string.Join(", ", allowed)}, got '{text}'");
            return fallback;
        }

        return text;
    }

    public IReadOnlyList<ArgNode> List(string key)
    {
        var n = Node(key);
        return n is null ? [] : n.AsList();
    }

    /// <summary>Typed access to a nested map, e.g. one firewall rule.</summary>
    public ElementArgs? Map(ArgNode n, string what)
    {
        if (n.Kind != ArgKind.Map)
        {
            Error(n.At, $"{what} must be a map like {{key: value, ...}}, got {n}");
            return null;
        }

        return new ElementArgs($"{Owner} {what}", n.At, n.Entries, Diagnostics, Resources);
    }

    public IpNetwork Network(ArgNode n, string what)
    {
        var text = ScalarText(n);
        if (text is null)
        {
            return IpNetwork.Any;
        }

        if (IpNetwork.TryParse(text, out var net))
        {
            return net;
        }

        Error(n.At, $"{what}: '{text}' is not an address or CIDR block (e.g. 192.0.2.0/24, any)");
        return IpNetwork.Any;
    }

    /// <summary>
    /// Call after reading: every argument nobody asked for is an error (typos must not pass silently); the
    /// closest argument that was asked for but not given is suggested.
    /// </summary>
    public void RejectUnknown()
    {
        foreach (var (name, (key, _)) in _values)
        {
            if (!_read.Contains(name))
            {
                Error(key.At, $"unknown argument '{name}'{Spelling.Hint(name, _read.Where(k => !_values.ContainsKey(k)))}");
            }
        }
    }
}
