using KalkiEdge.Core;

namespace KalkiEdge.DataPlane;

/// <summary>Validates an element's arguments and returns its spec, or null after reporting the errors.</summary>
public delegate IElementSpec? ElementCompiler(ElementArgs args);

/// <summary>An element kind known to the chain language: its name, what it does, how it compiles, and an example use.</summary>
public sealed record ElementKind(string Name, string Summary, ElementCompiler Compile, string Example);

/// <summary>The element library by name (Click's element classes).</summary>
public sealed class ElementRegistry
{
    private readonly Dictionary<string, ElementKind> _kinds = new(StringComparer.Ordinal);

    public IEnumerable<ElementKind> Kinds => _kinds.Values.OrderBy(k => k.Name, StringComparer.Ordinal);

    /// <summary>Registers an element; <paramref name="example"/> is a valid chain using it (shown by the element reference).</summary>
    public ElementRegistry Add(string name, string summary, ElementCompiler compile, string example)
    {
        if (!_kinds.TryAdd(name, new ElementKind(name, summary, compile, example)))
        {
            throw new InvalidOperationException($"element '{name}' is registered twice");
        }

        return this;
    }

    public bool TryGet(string name, out ElementKind kind) => _kinds.TryGetValue(name, out kind!);

    /// <summary>The closest known name, to turn a typo into a helpful message.</summary>
    public string? Suggest(string name) => Spelling.Closest(name, _kinds.Keys.Order(StringComparer.Ordinal));
}
