using System.Text;
using KalkiEdge.Core;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// One rule as written: possibly several physical lines joined by trailing backslashes. Keeps where each
/// physical line starts so any character can be reported with its real line and column.
/// </summary>
public sealed class RuleText
{
    private readonly string _file;
    private readonly List<(int Index, int Line)> _lineStarts;

    private RuleText(string file, string text, List<(int Index, int Line)> lineStarts)
    {
        _file = file;
        Text = text;
        _lineStarts = lineStarts;
    }

    public string Text { get; }

    public SourceSpan Start => At(0);

    public SourceSpan At(int index)
    {
        var (start, line) = _lineStarts[0];
        foreach (var s in _lineStarts)
        {
            if (s.Index > index)
            {
                break;
            }

            (start, line) = s;
        }

        return new SourceSpan(_file, line, index - start + 1);
    }

    /// <summary>Splits a rule file into rules, skipping blank lines and # comments.</summary>
    public static List<RuleText> Split(string file, string content)
    {
        var rules = new List<RuleText>();
        var lines = content.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var text = new StringBuilder();
        List<(int Index, int Line)>? starts = null;
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (starts is null)
            {
                var trimmed = line.TrimStart();
                if (trimmed.Length == 0 || trimmed[0] == '#')
                {
                    continue;
                }

                starts = [];
            }

            starts.Add((text.Length, i + 1));
            bool continues = line.TrimEnd().EndsWith('\\');
            text.Append(continues ? line.TrimEnd()[..^1] : line);
            if (!continues || i == lines.Length - 1)
            {
                rules.Add(new RuleText(file, text.ToString(), starts));
                text.Clear();
                starts = null;
            }
        }

        return rules;
    }
}
