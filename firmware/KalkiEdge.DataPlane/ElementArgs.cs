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

    /// <summary>
    /// The node as YAML flow text for messages, cut at <see cref="MaxShownLength"/> characters: a node reached
    /// through aliases shares its children, and written out whole it could be far larger than its file.
    /// </summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        Append(text);
        return text.Length > MaxShownLength ? string.Concat(text.ToString(0, MaxShownLength), "…") : text.ToString();
    }

    public const int MaxShownLength = 200;

    private void Append(System.Text.StringBuilder text)
    {
        if (text.Length > MaxShownLength)
        {
            return;
        }

        switch (Kind)
        {
            case ArgKind.Scalar:
                text.Append(Text.Length > MaxShownLength ? Text.AsSpan(0, MaxShownLength + 1) : Text);
                break;
            case ArgKind.List:
                text.Append('[');
                for (int i = 0; i < Items.Count && text.Length <= MaxShownLength; i++)
                {
                    text.Append(i == 0 ? "" : ", ");
                    Items[i].Append(text);
                }

                text.Append(']');
                break;
            default:
                text.Append('{');
                for (int i = 0; i < Entries.Count && text.Length <= MaxShownLength; i++)
                {
                    text.Append(i == 0 ? "" : ", ");
                    Entries[i].Key.Append(text);
                    text.Append(": ");
                    Entries[i].Value.Append(text);
                }

                text.Append('}');
                break;
        }
    }
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

    /// <summary>When set, every argument read is noted with its type and default (the element reference).</summary>
    public ArgumentRecorder? Recorder { get; init; }

    public bool Has(string key) => _values.ContainsKey(key);

    public void Error(SourceSpan at, string message, string? suggestion = null) => Diagnostics.Error(at, $"{Owner}: {message}", suggestion);

    /// <summary>
    /// The raw value of <paramref name="key"/>. <paramref name="type"/> and <paramref name="fallback"/> describe it in
    /// the element reference when the caller parses the value itself.
    /// </summary>
    public ArgNode? Node(string key, string type = ArgumentRecorder.AnyType, string? fallback = null)
    {
        Recorder?.Note(Owner, key, type, fallback);
        _read.Add(key);
        return _values.TryGetValue(key, out var v) ? v.Value : null;
    }

    public ArgNode? Required(string key, string type = ArgumentRecorder.AnyType)
    {
        var n = Node(key, type);
        Recorder?.MarkRequired(Owner, key);
        if (n is null)
        {
            Error(At, $"missing required argument '{key}'");
        }

        return n;
    }

    public string String(string key, string fallback)
    {
        Recorder?.Note(Owner, key, "text", fallback.Length == 0 ? null : fallback);
        var n = Node(key);
        return n is null ? fallback : ScalarText(n) ?? fallback;
    }

    /// <summary>
    /// A file or directory path. A NUL cannot be part of a path: .NET's path functions throw on it and C code
    /// reading it would silently stop there, so it is reported here and <paramref name="fallback"/> returned.
    /// </summary>
    public string? Path(string key, string? fallback)
    {
        var n = Node(key);
        if (n is null || ScalarText(n) is not { } text)
        {
            return fallback;
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            Error(n.At, $"'{key}' is not a usable path: it contains a NUL character");
            return fallback;
        }

        return text;
    }

    /// <summary>A path that must be absolute (a service's working directory is not the operator's); null when absent or refused.</summary>
    public string? AbsolutePath(string key)
    {
        var path = Path(key, null);
        if (path is not null && !System.IO.Path.IsPathFullyQualified(path))
        {
            Error(Node(key)!.At, $"'{key}' must be an absolute path, got '{path}'");
            return null;
        }

        return path;
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
        Recorder?.Note(Owner, key, "integer", IntDefault(fallback, min, max), IntRange(min, max));
        var n = Node(key);
        return n is null ? fallback : Int(n, key, fallback, min, max);
    }

    public long Int(ArgNode n, string what, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        Recorder?.Refine(Owner, what, "integer", null, IntRange(min, max));
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
        Recorder?.Note(Owner, key, "true/false", fallback ? "true" : "false");
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
        Recorder?.Note(Owner, key, "duration", Duration.Format(fallbackMicros), minMicros > 1 ? $"at least {Duration.Format(minMicros)}" : null);
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
        Recorder?.Note(Owner, key, "word", fallback, string.Join(", ", allowed));
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
        var n = Node(key, "list");
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

        return new ElementArgs($"{Owner} {what}", n.At, n.Entries, Diagnostics, Resources) { Recorder = Recorder };
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

    /// <summary>The default for the reference: none when the fallback lies outside the range (it means "not set").</summary>
    private static string? IntDefault(long fallback, long min, long max) =>
        fallback < min || fallback > max ? null : fallback.ToString(CultureInfo.InvariantCulture);

    private static string? IntRange(long min, long max) => (min, max) switch
    {
        (long.MinValue, long.MaxValue) => null,
        (_, long.MaxValue) => $"at least {min}",
        _ => $"{min}..{max}",
    };

    /// <summary>Call after reading: every argument nobody asked for is an error (typos must not pass silently).</summary>
    public void RejectUnknown()
    {
        foreach (var (name, (key, _)) in _values)
        {
            if (!_read.Contains(name))
            {
                // The arguments the reader asked for are the known ones: a typo of one of them gets its name.
                var suggestion = Spelling.Closest(name, _read.Where(k => !_values.ContainsKey(k)).Order(StringComparer.Ordinal));
                Error(key.At, $"unknown argument '{name}'{Spelling.Hint(suggestion)}", suggestion);
            }
        }
    }
}
