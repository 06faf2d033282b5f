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
    public string? Suggest(string name) =>
        _kinds.Keys.Select(k => (k, d: Distance(k, name))).Where(x => x.d <= 2).OrderBy(x => x.d).Select(x => x.k).FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }
}
