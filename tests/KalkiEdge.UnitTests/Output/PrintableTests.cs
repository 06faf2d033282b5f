using KalkiEdge.Core;

namespace KalkiEdge.UnitTests.Output;

public class PrintableTests
{
    [TestCase("front-camera", "front-camera")]
    [TestCase("cam\u001b[2J\u001b[31mRED", @"cam\u{001b}[2J\u{001b}[31mRED")]
    [TestCase("a\nFAKE LOG LINE", @"a\nFAKE LOG LINE")]
    [TestCase("tab\there\r", @"tab\there\r")]
    [TestCase("evil\u202Etxt.exe", @"evil\u{202e}txt.exe")]
    [TestCase("bell\u0007 c1\u009b", @"bell\u{0007} c1\u{009b}")]
    [TestCase(@"back\slash", @"back\\slash")]
    [TestCase("", "")]
    public void Control_and_invisible_format_characters_are_escaped(string text, string printed) =>
        Assert.That(Printable.Escape(text), Is.EqualTo(printed));

    [Test]
    public void Nothing_escaped_contains_a_control_character()
    {
        var all = new string(Enumerable.Range(0, 0x3000).Select(i => (char)i).ToArray());
        Assert.That(Printable.Escape(all).Any(char.IsControl), Is.False);
    }
}
