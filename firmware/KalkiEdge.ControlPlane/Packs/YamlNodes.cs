using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using YamlDotNet.Core;

namespace KalkiEdge.ControlPlane.Packs;

/// <summary>
/// Typed reading of a YAML mapping with every problem reported at its file/line/column. Readers return a safe
/// default after an error so that loading continues and all errors surface at once; unknown keys are reported.
/// The tree is the site config's own (<see cref="ArgNode"/>, built from the parser's events): YamlDotNet's document
/// model is not needed, and it keeps a second, heavier tree alive for nothing.
/// </summary>
public sealed class YamlMap
{
    private readonly ArgNode _node;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public YamlMap(string file, ArgNode node, DiagnosticBag diagnostics, string owner)
    {
        File = file;
        _node = node;
        Diagnostics = diagnostics;
        Owner = owner;
    }

    public string File { get; }

    public DiagnosticBag Diagnostics { get; }

    public string Owner { get; }

    public SourceSpan At => _node.At;

    public ArgNode? Node(string key, bool required = false)
    {
        _read.Add(key);
        foreach (var (k, v) in _node.Entries)
        {
            if (k.Kind == ArgKind.Scalar && k.Text == key)
            {
                return v;
            }
        }

        if (required)
        {
            Diagnostics.Error(At, $"{Owner}: '{key}' is required");
        }

        return null;
    }

    public string? String(string key, bool required = false) => Node(key, required) switch
    {
        null => null,
        { Kind: ArgKind.Scalar } s => s.Text,
        var other => Wrong(other, key, "a single value"),
    };

    public SourceSpan SpanOf(string key) => Node(key) is { } n ? n.At : At;

    public int Int(string key, int fallback)
    {
        var text = String(key);
        if (text is null)
        {
            return fallback;
        }

        if (int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v))
        {
            return v;
        }

        Diagnostics.Error(SpanOf(key), $"{Owner}: '{key}' must be an integer, got '{text}'");
        return fallback;
    }

    public long? Duration(string key, bool required = false)
    {
        var text = String(key, required);
        if (text is null)
        {
            return null;
        }

        if (Core.Duration.TryParseMicros(text, out var micros, out var error))
        {
            if (micros > 0)
            {
                return micros;
            }

            error = $"'{text}' must be longer than zero";
        }

        Diagnostics.Error(SpanOf(key), $"{Owner}: '{key}': {error}");
        return null;
    }

    /// <summary>A list of scalars; a single scalar is accepted as a list of one.</summary>
    public List<(string Value, SourceSpan At)> Strings(string key, bool required = false)
    {
        var result = new List<(string, SourceSpan)>();
        switch (Node(key, required))
        {
            case { Kind: ArgKind.Scalar } s:
                result.Add((s.Text, s.At));
                break;
            case { Kind: ArgKind.List } q:
                foreach (var item in q.Items)
                {
                    if (item.Kind == ArgKind.Scalar)
                    {
                        result.Add((item.Text, item.At));
                    }
                    else
                    {
                        Wrong(item, key, "a list of names");
                    }
                }

                break;
            case { } other:
                Wrong(other, key, "a name or a list of names");
                break;
        }

        return result;
    }

    /// <summary>A list of mappings.</summary>
    public List<YamlMap> Maps(string key, string itemOwner)
    {
        var result = new List<YamlMap>();
        switch (Node(key))
        {
            case { Kind: ArgKind.List } q:
                foreach (var item in q.Items)
                {
                    if (item.Kind == ArgKind.Map)
                    {
                        result.Add(new YamlMap(File, item, Diagnostics, itemOwner));
                    }
                    else
                    {
                        Wrong(item, key, "a list of mappings");
                    }
                }

                break;
            case { Kind: ArgKind.Map } m:
                result.Add(new YamlMap(File, m, Diagnostics, itemOwner));
                break;
            case { } other:
                Wrong(other, key, "a list of mappings");
                break;
        }

        return result;
    }

    /// <summary>A mapping of name → scalar value, in order.</summary>
    public List<(string Key, string Value, SourceSpan At)> Pairs(string key)
    {
        var result = new List<(string, string, SourceSpan)>();
        switch (Node(key))
        {
            case { Kind: ArgKind.Map } m:
                foreach (var (k, v) in m.Entries)
                {
                    if (k.Kind == ArgKind.Scalar && v.Kind == ArgKind.Scalar)
                    {
                        result.Add((k.Text, v.Text, k.At));
                    }
                    else
                    {
                        Wrong(v, key, "a mapping of names to values");
                    }
                }

                break;
            case { } other:
                Wrong(other, key, "a mapping of names to values");
                break;
        }

        return result;
    }

    public YamlMap? Map(string key, string owner, bool required = false) => Node(key, required) switch
    {
        null => null,
        { Kind: ArgKind.Map } m => new YamlMap(File, m, Diagnostics, owner),
        var other => WrongMap(other, key),
    };

    /// <summary>Reports keys nobody asked for (typos must not be silently ignored).</summary>
    public void RejectUnknown()
    {
        foreach (var (k, _) in _node.Entries)
        {
            if (k.Kind == ArgKind.Scalar && !_read.Contains(k.Text))
            {
                // Every key this map understands has been asked for by now: the closest is the likely intent.
                var near = Spelling.Closest(k.Text, _read.Order(StringComparer.Ordinal));
                Diagnostics.Error(k.At, $"{Owner}: unknown key '{Printable.Escape(k.Text)}'{Spelling.Hint(near)}", near);
            }
        }
    }

    private string? Wrong(ArgNode node, string key, string expected)
    {
        Diagnostics.Error(node.At, $"{Owner}: '{key}' must be {expected}");
        return null;
    }

    private YamlMap? WrongMap(ArgNode node, string key)
    {
        Wrong(node, key, "a mapping");
        return null;
    }

    /// <summary>Parses a whole YAML file into its root mapping, reporting syntax errors with their place.</summary>
    public static YamlMap? Load(string file, string text, DiagnosticBag diagnostics, string owner)
    {
        try
        {
            if (YamlArgs.ReadDocument(text, file) is not { Kind: ArgKind.Map } root)
            {
                diagnostics.Error(new SourceSpan(file, 1, 1), $"{owner}: expected a YAML mapping at the top level");
                return null;
            }

            return new YamlMap(file, root, diagnostics, owner);
        }
        catch (YamlException e)
        {
            diagnostics.Error(new SourceSpan(file, (int)e.Start.Line, (int)e.Start.Column), $"{owner}: YAML syntax: {e.Message}");
            return null;
        }
    }
}
