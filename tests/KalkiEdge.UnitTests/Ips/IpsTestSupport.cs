using KalkiEdge.Core;
using KalkiEdge.Umboxes.Ips;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Ips;

/// <summary>Parses rule text and builds ips chains over rule files written to a temporary directory.</summary>
public static class IpsTestSupport
{
    public static (List<IpsRule> Rules, IReadOnlyList<Diagnostic> Errors) Parse(string text, string? homeNet = null)
    {
        var diagnostics = new DiagnosticBag();
        var rules = new RuleParser(new RuleVariables(homeNet)).ParseFile("t.rules", text, diagnostics);
        return (rules, diagnostics.Items);
    }

    public static IpsRule Single(string text, string? homeNet = null)
    {
        var (rules, errors) = Parse(text, homeNet);
        Assert.That(errors, Is.Empty, string.Join("\n", errors));
        Assert.That(rules, Has.Count.EqualTo(1));
        return rules[0];
    }

    public static Diagnostic SingleError(string text)
    {
        var (rules, errors) = Parse(text);
        Assert.That(rules, Is.Empty);
        Assert.That(errors, Has.Count.EqualTo(1), string.Join("\n", errors));
        return errors[0];
    }

    /// <summary>A chain harness whose resource directory holds the given rule files.</summary>
    public static ChainHarness Harness(string chainText, params (string Name, string Text)[] files) =>
        new(chainText, WriteFiles(files));

    public static IReadOnlyList<Diagnostic> Errors(string chainText, params (string Name, string Text)[] files) =>
        ChainHarness.Errors(chainText, WriteFiles(files));

    public static string WriteFiles((string Name, string Text)[] files)
    {
        var dir = Path.Combine(Path.GetTempPath(), "kalkiedge-ips-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        foreach (var (name, text) in files)
        {
            File.WriteAllText(Path.Combine(dir, name), text);
        }

        return dir;
    }
}
