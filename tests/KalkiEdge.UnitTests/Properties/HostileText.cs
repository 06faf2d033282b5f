using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace KalkiEdge.UnitTests.Properties;

/// <summary>
/// Texts an operator or attacker could hand a parser: one of the repository's own files of that kind, edited a few
/// times with the tokens that break parsers (aliases and merges, deep nesting, NULs and escapes, huge numbers and
/// durations, lone quotes and brackets), lines dropped or repeated. Close enough to the format to get deep.
/// </summary>
internal static class HostileText
{
    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", "(", ")", ":", ",", ";", "\n", "\n  ", "- ", "&a ", "*a", "<<: *a", "!!str ", "!!binary ", "'", "\"", "\\",
        "\0", "\u001b[2J", "\r", "\t", "999999999999999999999", "-1", "0x7f000001", "1e400", "nan", "->", "$HOME_NET", "!$HOME_NET",
        "any", "[1:65535]", "content:\"", "|00 ff|", "pcre:\"/", "flow:", "sid:", "threshold:", "null", "~", "true", "[[[[[[[[[[[[",
        "{\"a\":", "99999999999999h", "0.0.0.0/0", "::/0", "ff:ff:ff:ff:ff:ff", "fe80::1%eth0", "../", "/dev/zero", "\uFFFD", "é",
        new string('[', 300), new string('a', 5000),
    ];

    public static Arbitrary<string> From(IReadOnlyList<string> seeds) =>
        Arb.From(
            from seed in Gen.Elements(seeds.ToArray())
            from n in Gen.Choose(1, 5)
            from edits in Gen.ListOf(Edit(), n)
            select edits.Aggregate(seed, (text, edit) => edit(text)));

    public static IReadOnlyList<string> Files(string directory, string pattern) =>
        [.. Directory.GetFiles(directory, pattern).Order(StringComparer.Ordinal).Select(File.ReadAllText)];

    private static Gen<Func<string, string>> Edit() =>
        Gen.OneOf(
            from token in Gen.Elements(Tokens)
            from at in Gen.Choose(0, 1 << 20)
            select (Func<string, string>)(text => text.Insert(at % (text.Length + 1), token)),
            from at in Gen.Choose(0, 1 << 20)
            from length in Gen.Choose(1, 40)
            select (Func<string, string>)(text => text.Length == 0 ? text : text.Remove(at % text.Length, Math.Min(length, text.Length - (at % text.Length)))),
            from line in Gen.Choose(0, 1 << 20)
            from times in Gen.Choose(2, 50)
            select (Func<string, string>)(text => Repeat(text, line, times)));

    private static string Repeat(string text, int line, int times)
    {
        var lines = text.Split('\n');
        var chosen = lines[line % lines.Length];
        var sb = new StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            for (int k = 0; k < (i == line % lines.Length ? times : 1); k++)
            {
                sb.Append(chosen == lines[i] && k > 0 ? chosen : lines[i]).Append('\n');
            }
        }

        return sb.ToString();
    }
}
