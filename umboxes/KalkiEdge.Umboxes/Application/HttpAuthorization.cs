using System.Buffers;
using System.Buffers.Text;

namespace KalkiEdge.Umboxes.Application;

/// <summary>HTTP authentication schemes a login is recognized by.</summary>
internal enum HttpAuthScheme : byte
{
    Basic,
    Digest,
}

/// <summary>
/// The credentials of an HTTP <c>Authorization</c> header, read in place: Basic (base64 "user:password",
/// decoded into a caller-provided scratch buffer) or Digest (the <c>username</c> parameter only — Digest never
/// sends the password). <see cref="Malformed"/> marks a login whose credentials cannot be read (bad base64,
/// no colon, no username, or longer than the scratch buffer); it still counts as a login.
/// </summary>
internal readonly ref struct HttpAuthorization
{
    /// <summary>Decoded Basic credentials longer than this cannot be any configured default and are not decoded.</summary>
    public const int MaxDecodedBytes = 256;

    private HttpAuthorization(HttpAuthScheme scheme, ReadOnlySpan<byte> user, ReadOnlySpan<byte> password, bool malformed)
    {
        Scheme = scheme;
        User = user;
        Password = password;
        Malformed = malformed;
    }

    public HttpAuthScheme Scheme { get; }

    public ReadOnlySpan<byte> User { get; }

    /// <summary>Basic only; never logged.</summary>
    public ReadOnlySpan<byte> Password { get; }

    public bool Malformed { get; }

    /// <summary>False for schemes other than Basic and Digest (e.g. Bearer): those are not logins here.</summary>
    public static bool TryRead(ReadOnlySpan<byte> headerValue, Span<byte> scratch, out HttpAuthorization auth)
    {
        auth = default;
        int sp = headerValue.IndexOfAny((byte)' ', (byte)'\t');
        var scheme = sp < 0 ? headerValue : headerValue[..sp];
        var parameters = sp < 0 ? default : Ascii.Trim(headerValue[sp..]);
        if (Ascii.EqualsIgnoreCase(scheme, "Basic"u8))
        {
            auth = ReadBasic(parameters, scratch);
            return true;
        }

        if (Ascii.EqualsIgnoreCase(scheme, "Digest"u8))
        {
            auth = ReadDigest(parameters);
            return true;
        }

        return false;
    }

    private static HttpAuthorization ReadBasic(ReadOnlySpan<byte> token, Span<byte> scratch)
    {
        if (token.Length == 0 || token.Length > Base64.GetMaxEncodedToUtf8Length(Math.Min(scratch.Length, MaxDecodedBytes))
            || Base64.DecodeFromUtf8(token, scratch, out _, out int written) != OperationStatus.Done)
        {
            return new HttpAuthorization(HttpAuthScheme.Basic, default, default, malformed: true);
        }

        var decoded = scratch[..written];
        int colon = decoded.IndexOf((byte)':');
        return colon < 0
            ? new HttpAuthorization(HttpAuthScheme.Basic, default, default, malformed: true)
            : new HttpAuthorization(HttpAuthScheme.Basic, decoded[..colon], decoded[(colon + 1)..], malformed: false);
    }

    private static HttpAuthorization ReadDigest(ReadOnlySpan<byte> parameters)
    {
        var rest = parameters;
        while (rest.Length > 0)
        {
            rest = rest.TrimStart(" \t,"u8);
            int eq = rest.IndexOf((byte)'=');
            if (eq <= 0)
            {
                break;
            }

            var key = Ascii.Trim(rest[..eq]);
            rest = rest[(eq + 1)..].TrimStart(" \t"u8);
            ReadOnlySpan<byte> value;
            if (rest.Length > 0 && rest[0] == (byte)'"')
            {
                int close = rest[1..].IndexOf((byte)'"');
                if (close < 0)
                {
                    break;
                }

                value = rest.Slice(1, close);
                rest = rest[(close + 2)..];
            }
            else
            {
                int comma = rest.IndexOf((byte)',');
                value = Ascii.Trim(comma < 0 ? rest : rest[..comma]);
                rest = comma < 0 ? default : rest[comma..];
            }

            if (Ascii.EqualsIgnoreCase(key, "username"u8))
            {
                return new HttpAuthorization(HttpAuthScheme.Digest, value, default, malformed: value.Length == 0);
            }
        }

        return new HttpAuthorization(HttpAuthScheme.Digest, default, default, malformed: true);
    }
}
