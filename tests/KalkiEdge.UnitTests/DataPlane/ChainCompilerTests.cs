using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.DataPlane;

public class ChainCompilerTests
{
    [Test]
    public void Compiles_a_chain_of_known_elements_in_order()
    {
        var h = new ChainHarness("pass -> block-all");
        Assert.That(h.Chain.Elements.Select(e => e.Name), Is.EqualTo(new[] { "pass", "block-all" }));
        Assert.That(h.Run(Frames.Udp(Frames.CloudIp, 53, Frames.DeviceIp, 5000)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Chain.Elements[0].Counters.Forwarded, Is.EqualTo(1));
        Assert.That(h.Chain.Elements[1].Counters.Dropped, Is.EqualTo(1));
    }

    [Test]
    public void Reports_every_error_at_once_with_line_and_column()
    {
        var errors = ChainHarness.Errors("pass ->\n  blok-all ->\n  pass(speed: 3)");
        Assert.That(errors, Has.Count.EqualTo(2));
        Assert.That(errors[0].Line, Is.EqualTo(2));
        Assert.That(errors[0].Column, Is.EqualTo(3));
        Assert.That(errors[0].Message, Does.Contain("unknown element 'blok-all'").And.Contain("did you mean 'block-all'"));
        Assert.That(errors[1].Line, Is.EqualTo(3));
        Assert.That(errors[1].Column, Is.EqualTo(8));
        Assert.That(errors[1].Message, Does.Contain("unknown argument 'speed'"));
    }

    [TestCase("", "empty chain")]
    [TestCase("pass -> -> block-all", "missing element between")]
    [TestCase("pass(", "unclosed bracket")]
    [TestCase("pass(a: [1, 2)", "unclosed bracket")]
    [TestCase("pass x", "expected '(arguments)'")]
    [TestCase("pass(a: \"x)", "unterminated quoted string")]
    [TestCase("(x)", "expected an element name")]
    public void Rejects_malformed_chain_text(string text, string message)
    {
        var errors = ChainHarness.Errors(text);
        Assert.That(errors, Is.Not.Empty);
        Assert.That(errors[0].Message, Does.Contain(message));
    }
}
