namespace KalkiEdge.Umboxes.Application;

/// <summary>What a request path means to the Philips Hue bridge API.</summary>
internal enum HueApiTarget : byte
{
    /// <summary>Not under /api.</summary>
    Other,

    /// <summary><c>/api</c> itself: POST here asks the bridge for a new user name (API token).</summary>
    Root,

    /// <summary><c>/api/&lt;token&gt;[/...]</c>.</summary>
    Token,
}

/// <summary>
/// Classifies a request path for the Hue API the way a lenient server would read it: repeated slashes,
/// percent-encoded letters and upper case in "api" do not hide an API request.
/// </summary>
internal static class HueApiPath
{
    public static HueApiTarget Classify(ReadOnlySpan<byte> path, out ReadOnlySpan<byte> token)
    {
        token = default;
        int i = SkipSlashes(path, 0);
        if (i == 0)
        {
            return HueApiTarget.Other;
        }

        foreach (var expected in "api"u8)
        {
            if (i >= path.Length || (Decode(path, ref i) | 0x20) != expected)
            {
                return HueApiTarget.Other;
            }
        }

        if (i == path.Length)
        {
            return HueApiTarget.Root;
        }

        if (path[i] != (byte)'/')
        {
            return HueApiTarget.Other; // e.g. /apix
        }

        int start = SkipSlashes(path, i);
        int end = path[start..].IndexOf((byte)'/');
        token = end < 0 ? path[start..] : path.Slice(start, end);
        return token.IsEmpty ? HueApiTarget.Root : HueApiTarget.Token;
    }

    private static int SkipSlashes(ReadOnlySpan<byte> path, int i)
    {
        while (i < path.Length && path[i] == (byte)'/')
        {
            i++;
        }

        return i;
    }

    /// <summary>The byte at <paramref name="i"/>, percent-decoded; advances past it.</summary>
    private static int Decode(ReadOnlySpan<byte> s, ref int i)
    {
        if (s[i] == (byte)'%' && i + 2 < s.Length && Hex(s[i + 1]) is var hi and >= 0 && Hex(s[i + 2]) is var lo and >= 0)
        {
            i += 3;
            return (hi << 4) | lo;
        }

        return s[i++];
    }

    private static int Hex(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
