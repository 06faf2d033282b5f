using KalkiEdge.Core;

namespace KalkiEdge.DataPlane;

/// <summary>
/// Typed access (<see cref="ElementArgs"/>) to a configuration map outside any chain — the site config, an image
/// header, a module's section (interfaces, hypervisor, signing, management) — where no file may be loaded.
/// </summary>
public static class ConfigSection
{
    /// <summary>Arguments of a map node; null (with the error reported) when the node is not a map.</summary>
    public static ElementArgs? Args(string name, ArgNode section, DiagnosticBag diagnostics)
    {
        if (section.Kind != ArgKind.Map)
        {
            diagnostics.Error(section.At, $"{name}: expected a map of settings, got '{section}'");
            return null;
        }

        return new ElementArgs(name, section.At, section.Entries, diagnostics, NoResources.Instance);
    }
}

/// <summary>The loader for places where arguments may not name files.</summary>
public sealed class NoResources : IResourceLoader
{
    public static readonly NoResources Instance = new();

    private NoResources()
    {
    }

    public LoadedFile? Load(string name, SourceSpan at, DiagnosticBag diagnostics)
    {
        diagnostics.Error(at, $"configuration settings load no files ('{name}')");
        return null;
    }
}
