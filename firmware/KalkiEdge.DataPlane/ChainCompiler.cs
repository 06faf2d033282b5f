using KalkiEdge.Core;
using YamlDotNet.Core;

namespace KalkiEdge.DataPlane;

/// <summary>
/// Compiles the chain language — <c>firewall(default: drop, rules: [...]) -> rate-limit(pps: 200) -> block-all</c> —
/// into a validated <see cref="ChainDefinition"/>. Arguments use YAML flow syntax; every error in every element
/// is reported with its file, line and column before anything runs.
/// </summary>
public sealed class ChainCompiler(ElementRegistry registry, IResourceLoader resources)
{
    public ElementRegistry Registry => registry;

    /// <summary>When set, notes every argument the element compilers read (the element reference).</summary>
    public ArgumentRecorder? Recorder { get; init; }

    /// <summary>Compiles <paramref name="text"/>, which starts at <paramref name="at"/> in its file.</summary>
    public ChainDefinition? Compile(string text, SourceSpan at, DiagnosticBag diagnostics, string? image = null)
    {
        var before = diagnostics.Items.Count;
        var specs = new List<IElementSpec>();
        var files = new RecordingLoader(resources);
        var segments = Split(text, at, diagnostics);
        if (segments.Count == 0 && diagnostics.Items.Count == before)
        {
            diagnostics.Error(at, "empty chain: name at least one element (e.g. block-all)");
        }

        foreach (var (segment, start) in segments)
        {
            var spec = CompileElement(segment, start, text, at, diagnostics, files);
            if (spec is not null)
            {
                specs.Add(spec);
            }
        }

        return diagnostics.Items.Count > before ? null : new ChainDefinition(text.Trim(), specs, files.Loaded, image);
    }

    private IElementSpec? CompileElement(string segment, int start, string text, SourceSpan at, DiagnosticBag diagnostics, IResourceLoader files)
    {
        var lead = segment.Length - segment.TrimStart().Length;
        var body = segment.Trim();
        var place = Locate(text, start + lead, at);
        int nameEnd = 0;
        while (nameEnd < body.Length && (char.IsAsciiLetterOrDigit(body[nameEnd]) || body[nameEnd] is '-' or '_'))
        {
            nameEnd++;
        }

        var name = body[..nameEnd];
        if (name.Length == 0)
        {
            diagnostics.Error(place, $"expected an element name, got '{Shorten(body)}'");
            return null;
        }

        var rest = body[nameEnd..].TrimStart();
        string argsText = "";
        int argsStart = 0;
        if (rest.Length > 0)
        {
            if (rest[0] != '(' || rest[^1] != ')')
            {
                diagnostics.Error(place, $"element '{name}': expected '(arguments)' after the name, got '{Shorten(rest)}'");
                return null;
            }

            argsText = rest[1..^1];
            argsStart = start + lead + body.IndexOf('(', StringComparison.Ordinal) + 1;
        }

        if (!registry.TryGet(name, out var kind))
        {
            var suggestion = registry.Suggest(name);
            diagnostics.Error(place, $"unknown element '{name}'{Spelling.Hint(suggestion)}; known: {string.Join(", ", registry.Kinds.Select(k => k.Name))}", suggestion);
            return null;
        }

        var entries = ParseArguments(argsText, Locate(text, argsStart, at), name, diagnostics);
        if (entries is null)
        {
            return null;
        }

        var args = new ElementArgs(name, place, entries, diagnostics, files) { Recorder = Recorder };
        var before = diagnostics.Items.Count;
        var spec = kind.Compile(args);
        args.RejectUnknown();
        return diagnostics.Items.Count > before ? null : spec;
    }

    /// <summary>Splits on top-level "->", respecting brackets and quotes.</summary>
    private static List<(string Segment, int Start)> Split(string text, SourceSpan at, DiagnosticBag diagnostics)
    {
        var result = new List<(string, int)>();
        int depth = 0, segStart = 0;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
                continue;
            }

            switch (c)
            {
                case '"' or '\'':
                    quote = c;
                    break;
                case '(' or '[' or '{':
                    depth++;
                    break;
                case ')' or ']' or '}':
                    depth--;
                    if (depth < 0)
                    {
                        diagnostics.Error(Locate(text, i, at), $"unbalanced '{c}'");
                        return [];
                    }

                    break;
                case '-' when depth == 0 && i + 1 < text.Length && text[i + 1] == '>':
                    AddSegment(text, segStart, i, at, diagnostics, result);
                    segStart = i + 2;
                    i++;
                    break;
            }
        }

        if (depth != 0 || quote != '\0')
        {
            diagnostics.Error(Locate(text, text.Length, at), quote != '\0' ? "unterminated quoted string" : "unclosed bracket");
            return [];
        }

        if (text.Trim().Length > 0)
        {
            AddSegment(text, segStart, text.Length, at, diagnostics, result);
        }

        return result;
    }

    private static void AddSegment(string text, int from, int to, SourceSpan at, DiagnosticBag diagnostics, List<(string, int)> result)
    {
        var segment = text[from..to];
        if (segment.Trim().Length == 0)
        {
            diagnostics.Error(Locate(text, from, at), "missing element between '->' arrows");
            return;
        }

        result.Add((segment, from));
    }

    private static List<KeyValuePair<ArgNode, ArgNode>>? ParseArguments(string argsText, SourceSpan at, string element, DiagnosticBag diagnostics)
    {
        if (argsText.Trim().Length == 0)
        {
            return [];
        }

        try
        {
            var root = YamlEventReader.ReadFirstDocument("{" + argsText + "}", at, wrapped: true)!;
            return [.. root.Entries];
        }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message is { } m ? $" ({m})" : "";
            diagnostics.Error(at with { Column = at.Column + Math.Max(0, (int)e.Start.Column - 2) }, $"element '{element}': cannot read arguments: {e.Message}{inner}");
            return null;
        }
    }

    /// <summary>The file position of character <paramref name="index"/> of the chain text.</summary>
    private static SourceSpan Locate(string text, int index, SourceSpan at)
    {
        int lines = 0, lastBreak = -1;
        for (int i = 0; i < index && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                lines++;
                lastBreak = i;
            }
        }

        return lines == 0 ? at with { Column = at.Column + index } : at with { Line = at.Line + lines, Column = index - lastBreak };
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>Passes loads through and keeps what was loaded, so the chain knows its files.</summary>
    private sealed class RecordingLoader(IResourceLoader inner) : IResourceLoader
    {
        public List<LoadedFile> Loaded { get; } = [];

        public LoadedFile? Load(string name, SourceSpan at, DiagnosticBag diagnostics)
        {
            var f = inner.Load(name, at, diagnostics);
            if (f is not null && !Loaded.Any(l => l.Name == f.Name))
            {
                Loaded.Add(f);
            }

            return f;
        }
    }
}

/// <summary>Loads resource files from a directory (e.g. umboxes/rules), refusing paths that leave it.</summary>
public sealed class DirectoryResourceLoader(string root) : IResourceLoader
{
    public string Root { get; } = Path.GetFullPath(root);

    public LoadedFile? Load(string name, SourceSpan at, DiagnosticBag diagnostics)
    {
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            diagnostics.Error(at, "file name contains a NUL character");
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(Root, name));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            diagnostics.Error(at, $"file '{name}' is outside the resource directory {Root}");
            return null;
        }

        try
        {
            return new LoadedFile(name, full, BoundedFile.ReadAllBytes(full));
        }
        catch (IOException e)
        {
            diagnostics.Error(at, $"cannot read '{name}' ({full}): {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            diagnostics.Error(at, $"cannot read '{name}' ({full}): {e.Message}");
        }

        return null;
    }
}
