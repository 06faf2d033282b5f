using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;
using KalkiEdge.Umboxes;

namespace KalkiEdge.UnitTests.Umboxes;

public class ElementReferenceTests
{
    private static readonly ElementRegistry Registry = UmboxLibrary.CreateRegistry();

    private static IEnumerable<string> ElementNames() => UmboxLibrary.CreateRegistry().Kinds.Select(k => k.Name);

    [Test]
    public void The_checked_in_element_reference_is_the_generated_one()
    {
        var path = Path.Combine(RepoPaths.Umboxes, "ELEMENTS.md");
        var generated = ElementReference.Markdown(ElementReference.Describe(Registry));
        Assert.That(File.Exists(path) ? File.ReadAllText(path) : "", Is.EqualTo(generated),
            "umboxes/ELEMENTS.md is out of date with the element registry: run `make elements-doc` and commit the result");
    }

    [TestCaseSource(nameof(ElementNames))]
    public void Every_example_is_a_valid_chain_using_its_element(string name)
    {
        Registry.TryGet(name, out var kind);
        var diagnostics = new DiagnosticBag();
        var chain = new ChainCompiler(Registry, new DirectoryResourceLoader(RepoPaths.Rules)).Compile(kind.Example, new SourceSpan("example", 1, 1), diagnostics);
        Assert.That(diagnostics.Items, Is.Empty, kind.Example);
        Assert.That(chain!.Instantiate().Elements.Select(e => e.Name), Does.Contain(name));
    }

    [Test]
    public void Arguments_come_from_the_parsing_code_with_types_defaults_and_ranges()
    {
        Registry.TryGet("brute-force", out var kind);
        var args = ElementReference.Describe(Registry, kind).Arguments.ToDictionary(a => a.Name);

        Assert.That(args["port"], Is.EqualTo(new ArgumentInfo("brute-force", "port", "integer", null, true, "1..65535")));
        Assert.That(args["attempts"], Is.EqualTo(new ArgumentInfo("brute-force", "attempts", "integer", "5", false, "1..1000")));
        Assert.That(args["window"].Default, Is.EqualTo("10s"));
        Assert.That(args["block"].Default, Is.EqualTo("false"));
        Assert.That(args.Keys, Is.EquivalentTo(new[] { "port", "attempts", "window", "block", "block-for", "max-sources" }));
    }

    [Test]
    public void Nested_maps_are_described_from_the_example()
    {
        Registry.TryGet("firewall", out var kind);
        var doc = ElementReference.Describe(Registry, kind);
        var rule = doc.Arguments.Where(a => a.Owner == "rule").ToDictionary(a => a.Name);

        Assert.That(rule.Keys, Is.EquivalentTo(new[] { "action", "dir", "proto", "remote", "lport", "rport" }));
        Assert.That(rule["action"], Is.EqualTo(new ArgumentInfo("rule", "action", "word", null, true, "allow, deny, drop")));
        Assert.That(ElementReference.Text(doc), Does.Contain("each 'rule':").And.Contain(kind.Example));
    }

    [Test]
    public void A_limit_whose_fallback_means_not_set_shows_no_default()
    {
        Registry.TryGet("rate-limit", out var kind);
        var pps = ElementReference.Describe(Registry, kind).Arguments.Single(a => a.Name == "pps");
        Assert.That(pps.Default, Is.Null);
        Assert.That(pps.Allowed, Is.EqualTo("1..100000000"));
    }

    [Test]
    public void Recording_does_not_change_what_is_accepted()
    {
        var diagnostics = new DiagnosticBag();
        var recorder = new ArgumentRecorder();
        var compiler = new ChainCompiler(Registry, new DirectoryResourceLoader(RepoPaths.Rules)) { Recorder = recorder };
        Assert.That(compiler.Compile("rate-limit(pps: 0, windw: 1s)", new SourceSpan("t", 1, 1), diagnostics), Is.Null);
        Assert.That(diagnostics.Items.Select(d => d.Message), Has.Some.Contain("'pps' must be between 1 and"));
        Assert.That(diagnostics.Items.Single(d => d.Message.Contains("windw", StringComparison.Ordinal)).Suggestion, Is.EqualTo("window"));
        Assert.That(recorder.Arguments.Select(a => a.Name), Does.Contain("pps").And.Not.Contain("windw"));
    }
}
