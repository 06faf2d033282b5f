using KalkiEdge.Core;
using YamlDotNet.Core;

namespace KalkiEdge.DataPlane;

/// <summary>
/// Reads YAML files (site config, images) into <see cref="ArgNode"/> trees that remember file, line and
/// column, so every later validation error can say exactly where it is.
/// </summary>
public static class YamlArgs
{
    /// <summary>Parses a YAML file whose root must be a map; null (with the reason reported) when it cannot.</summary>
    public static ArgNode? LoadFile(string path, DiagnosticBag diagnostics)
    {
        string text;
        try
        {
            text = BoundedFile.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Error(SourceSpan.None(path), $"cannot read: {e.Message}");
            return null;
        }

        return Parse(text, path, diagnostics);
    }

    /// <summary>The first document of <paramref name="text"/> (null when there is none); throws <see cref="YamlException"/> with the place of a syntax error.</summary>
    public static ArgNode? ReadDocument(string text, string file) => YamlEventReader.ReadFirstDocument(text, new SourceSpan(file, 1, 1), wrapped: false);

    public static ArgNode? Parse(string text, string file, DiagnosticBag diagnostics)
    {
        try
        {
            if (ReadDocument(text, file) is not { Kind: ArgKind.Map } root)
            {
                diagnostics.Error(new SourceSpan(file, 1, 1), "expected a YAML map at the top level");
                return null;
            }

            return root;
        }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message is { } m ? $" ({m})" : "";
            var line = text.Split('\n').ElementAtOrDefault((int)e.Start.Line - 1) ?? "";
            var hint = line.Contains('(', StringComparison.Ordinal) && line.Contains(": ", StringComparison.Ordinal)
                ? "; chain text with arguments must be quoted (chain: \"a(x: 1) -> b\") or written as a block (chain: |)"
                : "";
            diagnostics.Error(new SourceSpan(file, (int)e.Start.Line, (int)e.Start.Column), $"invalid YAML: {e.Message}{inner}{hint}");
            return null;
        }
    }

    /// <summary>
    /// Where a scalar's content starts: block scalars (| and >) on the line after their indicator, quoted scalars
    /// one column after the quote (so an error inside a quoted chain points at its text, not at the quote).
    /// </summary>
    internal static SourceSpan ContentStart(Mark start, ScalarStyle style, SourceSpan origin, bool wrapped)
    {
        var at = Map(start, origin, wrapped);
        return style switch
        {
            ScalarStyle.Literal or ScalarStyle.Folded => at with { Line = at.Line + 1, Column = at.Column + 2 },
            ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted => at with { Column = at.Column + 1 },
            _ => at,
        };
    }

    /// <summary>Maps a parser position to the file; <paramref name="wrapped"/> marks text parsed as "{" + args + "}" at <paramref name="origin"/>.</summary>
    internal static SourceSpan Map(Mark mark, SourceSpan origin, bool wrapped)
    {
        int line = (int)mark.Line, column = (int)mark.Column;
        if (!wrapped)
        {
            return origin with { Line = line, Column = column };
        }

        // Wrapped text has one extra "{" before the arguments on its first line.
        return line <= 1
            ? origin with { Column = origin.Column + Math.Max(0, column - 2) }
            : origin with { Line = origin.Line + line - 1, Column = column };
    }
}
