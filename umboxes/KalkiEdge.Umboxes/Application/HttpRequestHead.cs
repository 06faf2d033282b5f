namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// The head of an HTTP/1.x request found at the start of one TCP segment: method, target and header lines,
/// read in place (no copies, no allocation) from at most a bounded number of bytes. Segments are not
/// reassembled: a header beyond the segment or the bound is not seen. Hostile input only ever makes parsing
/// fail or stop early; every index is checked.
/// </summary>
internal readonly ref struct HttpRequestHead
{
    public const int MaxMethodLength = 16;

    private readonly ReadOnlySpan<byte> _headers;

    private HttpRequestHead(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, ReadOnlySpan<byte> headers, bool complete, ReadOnlySpan<byte> body)
    {
        Method = method;
        Target = target;
        _headers = headers;
        IsComplete = complete;
        Body = body;
    }

    public ReadOnlySpan<byte> Method { get; }

    /// <summary>The request target as sent (origin-form path and query, or absolute-form URL).</summary>
    public ReadOnlySpan<byte> Target { get; }

    /// <summary>False when the blank line ending the header block was not within the segment and the bound.</summary>
    public bool IsComplete { get; }

    /// <summary>Bytes after the header block within this segment (empty when the head is incomplete).</summary>
    public ReadOnlySpan<byte> Body { get; }

    /// <summary>
    /// Reads the request head at the start of <paramref name="payload"/>. False if the payload does not begin
    /// with a request line (a method token, a space, a target, a space, "HTTP/") ending within the bound.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, int maxHeadBytes, out HttpRequestHead head)
    {
        head = default;
        var window = payload.Length > maxHeadBytes ? payload[..maxHeadBytes] : payload;

        // Reject non-HTTP payloads (TLS, binary protocols) from their first bytes, before scanning for a line end.
        var start = window[..Math.Min(window.Length, MaxMethodLength + 1)];
        int sp1 = start.IndexOf((byte)' ');
        if (sp1 <= 0 || !IsMethod(start[..sp1]))
        {
            return false;
        }

        int lineEnd = window.IndexOf((byte)'\n');
        if (lineEnd < 0)
        {
            return false;
        }

        var line = TrimCr(window[..lineEnd]);
        if (line.Length <= sp1)
        {
            return false;
        }

        var rest = line[(sp1 + 1)..];
        int sp2 = rest.IndexOf((byte)' ');
        if (sp2 <= 0 || !rest[(sp2 + 1)..].StartsWith("HTTP/"u8))
        {
            return false;
        }

        var target = rest[..sp2];
        if (target.IndexOfAnyInRange((byte)0, (byte)0x20) >= 0)
        {
            return false;
        }

        var afterLine = window[(lineEnd + 1)..];
        int end = FindBlankLine(afterLine, out int blankLength);
        bool complete = end >= 0;
        var headers = complete ? afterLine[..end] : LastCompleteLines(afterLine);
        var body = complete ? payload[(lineEnd + 1 + end + blankLength)..] : default;
        head = new HttpRequestHead(line[..sp1], target, headers, complete, body);
        return true;
    }

    /// <summary>The value of the first header named <paramref name="name"/> (ASCII case-insensitive), trimmed.</summary>
    public bool TryGetHeader(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var rest = _headers;
        while (rest.Length > 0)
        {
            int nl = rest.IndexOf((byte)'\n');
            var line = TrimCr(nl < 0 ? rest : rest[..nl]);
            rest = nl < 0 ? default : rest[(nl + 1)..];
            int colon = line.IndexOf((byte)':');
            if (colon == name.Length && Ascii.EqualsIgnoreCase(line[..colon], name))
            {
                value = Ascii.Trim(line[(colon + 1)..]);
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>
    /// The rest of the segment after this request's body when another request follows in it (pipelining):
    /// needs a complete head and a body delimited by Content-Length (or none); a chunked body ends the walk.
    /// </summary>
    public bool TryNextPipelined(out ReadOnlySpan<byte> next)
    {
        next = default;
        int length = 0;
        if (!IsComplete || TryGetHeader("Transfer-Encoding"u8, out _)
            || (TryGetHeader("Content-Length"u8, out var declared)
                && (!System.Buffers.Text.Utf8Parser.TryParse(declared, out length, out int used) || used != declared.Length || length < 0))
            || length >= Body.Length)
        {
            return false;
        }

        next = Body[length..];
        return true;
    }

    /// <summary>The target's path without query, for origin-form or absolute-form (http://host/path) targets.</summary>
    public ReadOnlySpan<byte> Path()
    {
        var t = Target;
        int scheme = t.IndexOf("://"u8);
        if (scheme > 0 && scheme < 8)
        {
            var afterScheme = t[(scheme + 3)..];
            int slash = afterScheme.IndexOf((byte)'/');
            t = slash < 0 ? "/"u8 : afterScheme[slash..];
        }

        int query = t.IndexOfAny((byte)'?', (byte)'#');
        return query < 0 ? t : t[..query];
    }

    private static bool IsMethod(ReadOnlySpan<byte> token)
    {
        foreach (var b in token)
        {
            if (b is not ((>= (byte)'A' and <= (byte)'Z') or (byte)'-'))
            {
                return false;
            }
        }

        return true;
    }

    private static int FindBlankLine(ReadOnlySpan<byte> afterRequestLine, out int length)
    {
        // A head with no header lines ends right after the request line.
        if (afterRequestLine.StartsWith("\r\n"u8))
        {
            length = 2;
            return 0;
        }

        if (afterRequestLine.StartsWith("\n"u8))
        {
            length = 1;
            return 0;
        }

        int crlf = afterRequestLine.IndexOf("\r\n\r\n"u8);
        int lf = afterRequestLine.IndexOf("\n\n"u8);
        // The header block keeps its last line break; "length" is what remains of the blank line.
        if (crlf >= 0 && (lf < 0 || crlf < lf))
        {
            length = 2;
            return crlf + 2;
        }

        length = 1;
        return lf < 0 ? -1 : lf + 1;
    }

    private static ReadOnlySpan<byte> LastCompleteLines(ReadOnlySpan<byte> partial)
    {
        int last = partial.LastIndexOf((byte)'\n');
        return last < 0 ? default : partial[..(last + 1)];
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
}

/// <summary>ASCII helpers for protocol text held as bytes.</summary>
internal static class Ascii
{
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) =>
        System.Text.Ascii.EqualsIgnoreCase(a, b);

    public static bool StartsWithIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prefix) =>
        text.Length >= prefix.Length && EqualsIgnoreCase(text[..prefix.Length], prefix);

    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        int start = 0;
        int end = s.Length;
        while (start < end && s[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }

        while (end > start && s[end - 1] is (byte)' ' or (byte)'\t')
        {
            end--;
        }

        return s[start..end];
    }
}
