using KalkiEdge.Core;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace KalkiEdge.DataPlane;

/// <summary>
/// Builds an <see cref="ArgNode"/> tree straight from the YAML parser's events. YamlDotNet's document model would
/// be a second full tree (with marks, tags and anchors per node) alive beside this one: for a site of 10,000
/// devices that is tens of megabytes of start-up garbage the process keeps as resident memory. Semantics follow
/// the document model: the first document is the result, later ones must still parse, aliases resolve to their
/// anchored node, and a mapping may not repeat a scalar key. Depth, value size and alias expansion are bounded
/// by <see cref="LimitedYamlParser"/>, so the recursion here cannot overflow the stack.
/// </summary>
internal sealed class YamlEventReader
{
    // Small maps (every device entry) are checked for repeated keys by a scan; larger ones by a set.
    private const int LinearKeyCheck = 16;

    private readonly LimitedYamlParser _parser;
    private readonly SourceSpan _origin;
    private readonly bool _wrapped;
    private readonly Dictionary<string, ArgNode> _anchors = new(StringComparer.Ordinal);

    private YamlEventReader(string text, SourceSpan origin, bool wrapped)
    {
        _parser = new LimitedYamlParser(new StringReader(text));
        _origin = origin;
        _wrapped = wrapped;
    }

    /// <summary>The first document's root node, or null when the text holds no document. Throws <see cref="YamlException"/>.</summary>
    public static ArgNode? ReadFirstDocument(string text, SourceSpan origin, bool wrapped)
    {
        var reader = new YamlEventReader(text, origin, wrapped);
        return reader.ReadStream();
    }

    private ArgNode? ReadStream()
    {
        _parser.Consume<StreamStart>();
        ArgNode? root = null;
        if (_parser.TryConsume<DocumentStart>(out _))
        {
            root = ReadNode();
            _parser.Consume<DocumentEnd>();
        }

        // Later documents are ignored, as before, but must still be valid YAML.
        while (_parser.MoveNext())
        {
        }

        return root;
    }

    private ArgNode ReadNode()
    {
        if (_parser.TryConsume<Scalar>(out var scalar))
        {
            var at = YamlArgs.ContentStart(scalar.Start, scalar.Style, _origin, _wrapped);
            return Anchor(scalar.Anchor, new ArgNode(at, scalar.Value));
        }

        if (_parser.TryConsume<SequenceStart>(out var sequence))
        {
            var items = new List<ArgNode>();
            while (!_parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode());
            }

            return Anchor(sequence.Anchor, new ArgNode(YamlArgs.Map(sequence.Start, _origin, _wrapped), items));
        }

        if (_parser.TryConsume<MappingStart>(out var mapping))
        {
            var entries = new List<KeyValuePair<ArgNode, ArgNode>>();
            HashSet<string>? keys = null;
            while (!_parser.TryConsume<MappingEnd>(out _))
            {
                var keyStart = _parser.Current?.Start ?? mapping.Start;
                var keyEnd = _parser.Current?.End ?? mapping.End;
                var key = ReadNode();
                if (key.Kind == ArgKind.Scalar && IsRepeated(key.Text, entries, ref keys))
                {
                    throw new YamlException(keyStart, keyEnd, $"Duplicate key {key.Text}");
                }

                entries.Add(new KeyValuePair<ArgNode, ArgNode>(key, ReadNode()));
            }

            return Anchor(mapping.Anchor, new ArgNode(YamlArgs.Map(mapping.Start, _origin, _wrapped), entries));
        }

        var alias = _parser.Consume<AnchorAlias>();
        return _anchors.TryGetValue(alias.Value.Value, out var target)
            ? target
            : throw new YamlException(alias.Start, alias.End, $"The anchor '{alias.Value}' does not exists");
    }

    private ArgNode Anchor(AnchorName anchor, ArgNode node)
    {
        if (!anchor.IsEmpty)
        {
            _anchors[anchor.Value] = node;
        }

        return node;
    }

    /// <summary>True when <paramref name="key"/> is already a scalar key of the map being read.</summary>
    private static bool IsRepeated(string key, List<KeyValuePair<ArgNode, ArgNode>> entries, ref HashSet<string>? keys)
    {
        if (keys is null && entries.Count < LinearKeyCheck)
        {
            foreach (var e in entries)
            {
                if (e.Key.Kind == ArgKind.Scalar && e.Key.Text == key)
                {
                    return true;
                }
            }

            return false;
        }

        if (keys is null)
        {
            keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in entries)
            {
                if (e.Key.Kind == ArgKind.Scalar)
                {
                    keys.Add(e.Key.Text);
                }
            }
        }

        return !keys.Add(key);
    }
}
