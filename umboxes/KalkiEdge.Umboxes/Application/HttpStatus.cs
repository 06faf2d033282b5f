namespace KalkiEdge.Umboxes.Application;

/// <summary>The status line of an HTTP/1.x response that starts the segment ("HTTP/1.1 401 ..."), and its challenge.</summary>
internal static class HttpStatus
{
    /// <summary>How much of a response head is searched for a challenge's parameters.</summary>
    public const int MaxHeadBytes = 4096;

    public static bool TryRead(ReadOnlySpan<byte> payload, out int status)
    {
        status = 0;
        // "HTTP/1.x" SP 3DIGIT SP (RFC 9112 section 4; the reason phrase may be empty but the space is there).
        if (payload.Length < 13 || !payload.StartsWith("HTTP/1."u8) || payload[8] != (byte)' ' || payload[12] != (byte)' ')
        {
            return false;
        }

        for (int i = 9; i < 12; i++)
        {
            if (payload[i] is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            status = (status * 10) + (payload[i] - '0');
        }

        return true;
    }

    /// <summary>
    /// True when a 401's Digest challenge says <c>stale=true</c> (RFC 7616 section 3.3): the credentials were
    /// right and only the nonce expired, so the answer is no failed login.
    /// </summary>
    public static bool IsStaleChallenge(ReadOnlySpan<byte> payload)
    {
        var head = payload.Length > MaxHeadBytes ? payload[..MaxHeadBytes] : payload;
        int end = head.IndexOf("\r\n\r\n"u8);
        head = end < 0 ? head : head[..end];
        for (int at = head.IndexOfAny((byte)'s', (byte)'S'); at >= 0; at = Next(head, at))
        {
            var rest = head[at..];
            if (Ascii.StartsWithIgnoreCase(rest, "stale="u8))
            {
                var value = rest[6..].TrimStart((byte)'"');
                return Ascii.StartsWithIgnoreCase(value, "true"u8);
            }
        }

        return false;
    }

    private static int Next(ReadOnlySpan<byte> head, int at)
    {
        int next = head[(at + 1)..].IndexOfAny((byte)'s', (byte)'S');
        return next < 0 ? -1 : at + 1 + next;
    }
}
