namespace KalkiEdge.Umboxes.Application;

/// <summary>The status code of an HTTP/1.x response whose status line starts the segment ("HTTP/1.1 401 ...").</summary>
internal static class HttpStatus
{
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
}
