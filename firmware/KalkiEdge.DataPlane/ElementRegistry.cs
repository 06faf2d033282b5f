using KalkiEdge.Core;

namespace KalkiEdge.DataPlane;

/// <summary>Validates an element's arguments and returns its spec, or null after reporting the errors.</summary>
public delegate IElementSpec? ElementCompiler(ElementArgs args);

/// <summary>An element kind known to the chain language.</summary>
public sealed record ElementKind(string Name, string Summary, ElementCompiler Compile);

/// <summary>The element library by name (Click's element classes).</summary>
public sealed class ElementRegistry
{
    private readonly Dictionary<string, ElementKind> _kinds = new(StringComparer.Ordinal);

    public IEnumerable<ElementKind> Kinds => _kinds.Values.OrderBy(k => k.Name, StringComparer.Ordinal);

    public ElementRegistry Add(string name, string summary, ElementCompiler compile)
    {
        if (!_kinds.TryAdd(name, new ElementKind(name, summary, compile)))
        {
            throw new InvalidOperationException($"element '{name}' is registered twice");
        }

        return this;
    }

    public bool TryGet(string name, out ElementKind kind) => _kinds.TryGetValue(name, out kind!);

    /// <summary>The closest known name, to turn a typo into a helpful message.</summary>
    public string? Suggest(string name) => Spelling.Suggest(name, _kinds.Keys);
}
