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
/// decoded into a caller-provided scratch buffer) or Digest (its parameters; Digest never sends the password, but
/// a known password can be checked by recomputing the response, see <see cref="DigestResponse"/>).
/// <see cref="Malformed"/> marks a login whose credentials cannot be read (bad base64, no colon, no username, an
/// unterminated quoted value, or longer than the scratch buffer); it still counts as a login.
/// </summary>
internal readonly ref struct HttpAuthorization
{
    /// <summary>Decoded Basic credentials longer than this cannot be any configured default and are not decoded.</summary>
    public const int MaxDecodedBytes = 256;

    private readonly ReadOnlySpan<byte> _parameters;

    private HttpAuthorization(HttpAuthScheme scheme, ReadOnlySpan<byte> parameters, ReadOnlySpan<byte> user, ReadOnlySpan<byte> password, bool malformed, DigestParameters digest = default)
    {
        Scheme = scheme;
        _parameters = parameters;
        User = user;
        Password = password;
        Malformed = malformed;
        Digest = digest;
    }

    public HttpAuthScheme Scheme { get; }

    /// <summary>Basic: the decoded user; Digest: the username parameter (a hash with userhash=true).</summary>
    public ReadOnlySpan<byte> User { get; }

    /// <summary>Basic only; never logged.</summary>
    public ReadOnlySpan<byte> Password { get; }

    /// <summary>Digest only.</summary>
    public DigestParameters Digest { get; }

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
            var digest = DigestParameters.Parse(parameters);
            bool malformed = !digest.Complete || digest.Username.Length == 0;
            auth = new HttpAuthorization(HttpAuthScheme.Digest, parameters, digest.Username, default, malformed, digest);
            return true;
        }

        return false;
    }

    /// <summary>
    /// What stays the same while a client keeps using the same credentials: Basic — the whole token; Digest —
    /// user, realm and nonce (the response changes with every request, the nonce only when the server renews
    /// it). A per-process seed keeps remote parties from forging collisions.
    /// </summary>
    public int Fingerprint()
    {
        var hash = new HashCode();
        hash.Add(Scheme);
        if (Scheme == HttpAuthScheme.Digest && !Malformed)
        {
            hash.AddBytes(Digest.Username);
            hash.Add(0);
            hash.AddBytes(Digest.Realm);
            hash.Add(0);
            hash.AddBytes(Digest.Nonce);
        }
        else
        {
            hash.AddBytes(_parameters);
        }

        return hash.ToHashCode();
    }

    private static HttpAuthorization ReadBasic(ReadOnlySpan<byte> token, Span<byte> scratch)
    {
        if (token.Length == 0 || token.Length > Base64.GetMaxEncodedToUtf8Length(Math.Min(scratch.Length, MaxDecodedBytes))
            || Base64.DecodeFromUtf8(token, scratch, out _, out int written) != OperationStatus.Done)
        {
            return new HttpAuthorization(HttpAuthScheme.Basic, token, default, default, malformed: true);
        }

        var decoded = scratch[..written];
        int colon = decoded.IndexOf((byte)':');
        return colon < 0
            ? new HttpAuthorization(HttpAuthScheme.Basic, token, default, default, malformed: true)
            : new HttpAuthorization(HttpAuthScheme.Basic, token, decoded[..colon], decoded[(colon + 1)..], malformed: false);
    }
}
