using System.Text;
using KalkiEdge.Core;

namespace KalkiEdge.DataPlane;

/// <summary>One element as the reference shows it: summary, example, and the arguments its compiler reads.</summary>
public sealed record ElementDoc(string Name, string Summary, string Example, IReadOnlyList<ArgumentInfo> Arguments)
{
    /// <summary>The element's own arguments, then those of each nested map (e.g. <c>rule</c> of firewall).</summary>
    public IEnumerable<IGrouping<string, ArgumentInfo>> ByMap() => Arguments.GroupBy(a => a.Owner);
}

/// <summary>
/// The element reference (Click's element documentation), generated from the registry: each element's compiler is
/// run with a <see cref="ArgumentRecorder"/> once with no arguments (every top-level argument, its default and
/// whether it is required) and once on its example (the arguments of nested maps), so the reference is the parsing
/// code's own account of what it accepts. <c>kalki-edge elements</c> prints it; umboxes/ELEMENTS.md is its Markdown.
/// </summary>
public static class ElementReference
{
    public static IReadOnlyList<ElementDoc> Describe(ElementRegistry registry) => [.. registry.Kinds.Select(k => Describe(registry, k))];

    public static ElementDoc Describe(ElementRegistry registry, ElementKind kind)
    {
        var recorder = new ArgumentRecorder();
        var ignored = new DiagnosticBag(); // "missing required argument" and the like: expected with no arguments
        kind.Compile(new ElementArgs(kind.Name, SourceSpan.None("reference"), [], ignored, NoFiles.Instance) { Recorder = recorder });
        new ChainCompiler(registry, NoFiles.Instance) { Recorder = recorder }.Compile(kind.Example, SourceSpan.None("example"), ignored);
        var own = recorder.Arguments.Where(a => a.Owner == kind.Name);
        var nested = recorder.Arguments.Where(a => a.Owner.StartsWith(kind.Name + " ", StringComparison.Ordinal))
            .Select(a => a with { Owner = a.Owner[(kind.Name.Length + 1)..] });
        return new ElementDoc(kind.Name, kind.Summary, kind.Example, [.. own, .. nested]);
    }

    /// <summary>The short list: one line per element.</summary>
    public static string Index(IReadOnlyList<ElementDoc> elements)
    {
        var width = elements.Max(e => e.Name.Length) + 2;
        var text = new StringBuilder();
        foreach (var e in elements)
        {
            text.Append(e.Name.PadRight(width)).Append(e.Summary).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>One element in full, as plain text.</summary>
    public static string Text(ElementDoc e)
    {
        var text = new StringBuilder($"{e.Name}: {e.Summary}\n");
        foreach (var map in e.ByMap())
        {
            text.Append(map.Key == e.Name ? "\narguments:\n" : $"\neach '{map.Key}':\n");
            foreach (var a in map)
            {
                var notes = string.Join("; ", new[] { a.Required ? "required" : null, a.Default is null ? null : $"default {a.Default}", a.Allowed }.OfType<string>());
                text.Append($"  {a.Name,-16} {a.Type,-24} {notes}\n");
            }
        }

        if (!e.Arguments.Any())
        {
            text.Append("\narguments: none\n");
        }

        return text.Append($"\nexample:\n  {e.Example}\n").ToString();
    }

    /// <summary>The whole reference as Markdown (umboxes/ELEMENTS.md).</summary>
    public static string Markdown(IReadOnlyList<ElementDoc> elements)
    {
        var md = new StringBuilder();
        md.Append("# μmbox element reference\n\n");
        md.Append("Generated from the element registry by `kalki-edge elements --markdown` (`make elements-doc`); do not edit by hand.\n");
        md.Append("A chain is elements joined by `->`, each with YAML flow arguments: `NAME(key: value, ...)`. Durations take a unit\n");
        md.Append("(`500ms`, `10s`, `30min`, `1h`); ports are `443`, `8000-8080`, `any` or a list; addresses are an address, a CIDR block,\n");
        md.Append("`any` or a list. Unknown arguments are errors.\n\n");
        return md.Append(Sections(elements)).ToString();
    }

    /// <summary>The index and one section per element (the device monitor reference uses the same layout).</summary>
    public static string Sections(IReadOnlyList<ElementDoc> elements)
    {
        var md = new StringBuilder();
        foreach (var e in elements)
        {
            md.Append($"- [`{e.Name}`](#{e.Name}) — {e.Summary}\n");
        }

        foreach (var e in elements)
        {
            md.Append($"\n## {e.Name}\n\n{e.Summary}\n");
            foreach (var map in e.ByMap())
            {
                md.Append(map.Key == e.Name ? "\n" : $"\nEach `{map.Key}`:\n\n");
                md.Append("| argument | type | default | required | allowed |\n|---|---|---|---|---|\n");
                foreach (var a in map)
                {
                    md.Append($"| `{a.Name}` | {a.Type} | {Code(a.Default)} | {(a.Required ? "yes" : "")} | {a.Allowed} |\n");
                }
            }

            if (!e.Arguments.Any())
            {
                md.Append("\nNo arguments.\n");
            }

            md.Append($"\nExample:\n\n```\n{e.Example}\n```\n");
        }

        return md.ToString();
    }

    private static string Code(string? value) => value is null ? "" : $"`{value}`";

    /// <summary>The reference loads no files: an argument naming one is recorded, not read.</summary>
    private sealed class NoFiles : IResourceLoader
    {
        public static readonly NoFiles Instance = new();

        public LoadedFile? Load(string name, SourceSpan at, DiagnosticBag diagnostics) => null;
    }
}
