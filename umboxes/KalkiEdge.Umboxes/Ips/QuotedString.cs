using System.Globalization;
using System.Text;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>Decodes a rule's quoted string: <c>\"</c> <c>\\</c> <c>\;</c> <c>\:</c> <c>\|</c> escapes and, in content, <c>|hex|</c> runs.</summary>
public static class QuotedString
{
    public static byte[]? Decode(string text, bool allowHex, out string? error)
    {
        error = null;
        if (text.Length < 2 || text[0] != '"' || text[^1] != '"')
        {
            error = $"expected a quoted string, got {text}";
            return null;
        }

        var bytes = new List<byte>();
        var body = text[1..^1];
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c == '\\')
            {
                if (i + 1 >= body.Length || body[i + 1] is not ('"' or '\\' or ';' or ':' or '|'))
                {
                    error = $"invalid escape at character {i + 1} (escape only \\\" \\\\ \\; \\: \\|)";
                    return null;
                }

                bytes.Add((byte)body[++i]);
            }
            else if (c == '"')
            {
                error = "unescaped '\"' inside the string (write \\\" or |22|)";
                return null;
            }
            else if (c == '|' && allowHex)
            {
                int end = body.IndexOf('|', i + 1);
                if (end < 0)
                {
                    error = "unterminated |hex| run";
                    return null;
                }

                if (!Hex(body[(i + 1)..end], bytes, out error))
                {
                    return null;
                }

                i = end;
            }
            else if (c > 0x7F)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        if (bytes.Count == 0 && allowHex)
        {
            error = "empty content";
            return null;
        }

        return [.. bytes];
    }

    private static bool Hex(string run, List<byte> bytes, out string? error)
    {
        error = null;
        var digits = run.Replace(" ", "", StringComparison.Ordinal);
        if (digits.Length == 0 || digits.Length % 2 != 0 || !digits.All(char.IsAsciiHexDigit))
        {
            error = $"bad hex run '|{run}|' (pairs of hex digits, optionally spaced)";
            return false;
        }

        for (int i = 0; i < digits.Length; i += 2)
        {
            bytes.Add(byte.Parse(digits.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }

        return true;
    }
}
