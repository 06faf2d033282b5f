using System.Text.RegularExpressions;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Core;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Docs;

/// <summary>The repository's docs name exactly what the code implements, and point nowhere outside the repository.</summary>
public partial class DocumentationTests
{
    private static string Doc(string name) => File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", name));

    [Test]
    public void The_alert_type_table_lists_exactly_the_built_in_types()
    {
        var documented = AlertTypeRow().Matches(Doc("alert-types.md")).Select(m => m.Groups[1].Value).ToList();
        Assert.That(documented, Is.Unique);
        Assert.That(documented, Is.EquivalentTo(AlertTypes.BuiltIn), "docs/alert-types.md and KalkiEdge.Core.AlertTypes must name the same types");
    }

    [Test]
    public void The_site_config_doc_names_every_registered_and_reserved_section()
    {
        var doc = Doc("site-config.md");
        foreach (var section in SiteSections.Read.Select(s => s.Name).Concat(SiteSections.Reserved.Select(r => r.Name)))
        {
            Assert.That(doc, Does.Contain($"| `{section}` |"), $"docs/site-config.md has no row for '{section}'");
        }
    }

    [Test]
    public void No_file_points_outside_the_repository_or_to_issue_numbers()
    {
        var outside = new Regex(@"\.\./shared/|DESIGN\.md|PLATFORM" + "-NOTES", RegexOptions.None, TimeSpan.FromSeconds(1));
        var issue = new Regex("issue" + @" ?#?\d", RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        var offenders = RepositoryTextFiles()
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => outside.IsMatch(x.line) || issue.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(RepoPaths.Root, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.That(offenders, Is.Empty, "say what a thing is in words; the repository's docs are in docs/");
    }

    private static IEnumerable<string> RepositoryTextFiles()
    {
        string[] extensions = [".cs", ".md", ".sh", ".mk", ".csproj", ".props", ".yaml", ".py", ".c", ".h", ".txt"];
        string[] skipped = ["bin", "obj", "out", ".git", "cache", "node_modules"];
        var pending = new Stack<string>([RepoPaths.Root]);
        while (pending.TryPop(out var dir))
        {
            foreach (var sub in Directory.EnumerateDirectories(dir).Where(d => !skipped.Contains(Path.GetFileName(d))))
            {
                pending.Push(sub);
            }

            foreach (var file in Directory.EnumerateFiles(dir).Where(f => extensions.Contains(Path.GetExtension(f)) || Path.GetFileName(f) == "Makefile"))
            {
                yield return file;
            }
        }
    }

    [GeneratedRegex(@"^\| `([a-z-]+)` \|", RegexOptions.Multiline)]
    private static partial Regex AlertTypeRow();
}
