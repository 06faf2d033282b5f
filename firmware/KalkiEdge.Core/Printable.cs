using System.Globalization;
using System.Text;

namespace KalkiEdge.Core;

/// <summary>
/// Text from config or the network made safe to print on a terminal or in a log line: control characters
/// (escape sequences, newlines that would forge a line) and invisible format characters (bidirectional
/// overrides) are written as \n, \t, \r or \u{XXXX}, and a backslash as \\, so nothing printed can move the
/// cursor, recolour the screen or impersonate another line.
/// </summary>
public static class Printable
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text) || !NeedsEscape(text))
        {
            return text ?? "";
        }

        var b = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\': b.Append(@"\\"); break;
                case '\n': b.Append(@"\n"); break;
                case '\r': b.Append(@"\r"); break;
                case '\t': b.Append(@"\t"); break;
                default:
                    if (IsUnsafe(c))
                    {
                        b.Append(CultureInfo.InvariantCulture, $"\\u{{{(int)c:x4}}}");
                    }
                    else
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        return b.ToString();
    }

    private static bool NeedsEscape(string text)
    {
        foreach (var c in text)
        {
            if (c == '\\' || IsUnsafe(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
