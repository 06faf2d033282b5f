using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace KalkiEdge.DataPlane;

/// <summary>
/// A YAML parser that stops, at the offending place, documents that would cost unbounded stack, time or memory
/// to load or walk: nesting deeper than <see cref="MaxDepth"/>, a value longer than <see cref="MaxScalarLength"/>,
/// or more than <see cref="MaxNodes"/> values once aliases are expanded (a few hundred bytes of nested aliases
/// otherwise stand for billions of values, and anything that walks them — an error message — never finishes).
/// Every YAML reader of configuration (site config, chain arguments, images, packs) reads through it.
/// </summary>
public sealed class LimitedYamlParser : IParser
{
    public const int MaxDepth = 64;
    public const int MaxScalarLength = 1 << 20;
    public const long MaxNodes = 1_000_000;

    private readonly Parser _parser;
    private readonly Dictionary<string, long> _anchorSizes = new(StringComparer.Ordinal);
    private readonly Stack<(string? Anchor, long NodesBefore)> _open = new();
    private long _nodes;

    public LimitedYamlParser(TextReader input) => _parser = new Parser(input);

    public ParsingEvent? Current => _parser.Current;

    public bool MoveNext()
    {
        if (!Next())
        {
            return false;
        }

        var e = _parser.Current!;
        switch (e)
        {
            case Scalar s:
                if (s.Value.Length > MaxScalarLength)
                {
                    throw Refuse(e, $"a value of {s.Value.Length} characters is longer than the limit of {MaxScalarLength}");
                }

                Count(e, 1);
                Remember(s.Anchor, 1);
                break;
            case SequenceStart or MappingStart:
                if (_open.Count == MaxDepth)
                {
                    throw Refuse(e, $"nesting deeper than {MaxDepth} levels");
                }

                var anchor = ((NodeEvent)e).Anchor;
                _open.Push((anchor.IsEmpty ? null : anchor.Value, _nodes));
                Count(e, 1);
                break;
            case SequenceEnd or MappingEnd when _open.Count > 0:
                var (name, before) = _open.Pop();
                if (name is not null)
                {
                    _anchorSizes[name] = _nodes - before;
                }

                break;
            case AnchorAlias alias:
                Count(e, _anchorSizes.TryGetValue(alias.Value.Value, out var size) ? size : 1);
                break;
        }

        return true;
    }

    /// <summary>
    /// YamlDotNet's scanner throws InvalidOperationException on some malformed plain scalars, and its parser
    /// ArgumentException on a tag that is not a URI (<c>!!binary[x]</c>); both found by fuzzing, where it should throw
    /// a YamlException: readers catch only the latter, so each is turned into one here.
    /// </summary>
    private bool Next()
    {
        try
        {
            return _parser.MoveNext();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            var at = _parser.Current?.End ?? Mark.Empty;
            throw new YamlException(at, at, $"unreadable YAML after this place ({e.Message})");
        }
    }

    private void Remember(AnchorName anchor, long size)
    {
        if (!anchor.IsEmpty)
        {
            _anchorSizes[anchor.Value] = size;
        }
    }

    private void Count(ParsingEvent e, long nodes)
    {
        _nodes += nodes;
        if (_nodes > MaxNodes)
        {
            throw Refuse(e, $"more than {MaxNodes} values once aliases are expanded (aliases may not multiply the document)");
        }
    }

    private static YamlException Refuse(ParsingEvent e, string message) => new(e.Start, e.End, message);
}
