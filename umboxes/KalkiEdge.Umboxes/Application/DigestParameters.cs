namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// The parameters of an RFC 7616 Digest <c>Authorization</c> header, read in place (values unquoted, no
/// allocation). Unknown parameters are skipped; a quoted value without its closing quote ends the parse and
/// leaves the header <see cref="Complete"/> false.
/// </summary>
internal readonly ref struct DigestParameters
{
    public ReadOnlySpan<byte> Username { get; init; }

    public ReadOnlySpan<byte> Realm { get; init; }

    public ReadOnlySpan<byte> Nonce { get; init; }

    public ReadOnlySpan<byte> Uri { get; init; }

    public ReadOnlySpan<byte> Response { get; init; }

    /// <summary>As sent; empty means MD5 (RFC 7616 section 3.4.2).</summary>
    public ReadOnlySpan<byte> Algorithm { get; init; }

    public ReadOnlySpan<byte> Qop { get; init; }

    public ReadOnlySpan<byte> NonceCount { get; init; }

    public ReadOnlySpan<byte> ClientNonce { get; init; }

    /// <summary>userhash=true: <see cref="Username"/> is H(user ":" realm), not the name (RFC 7616 section 3.4.4).</summary>
    public bool UserHash { get; init; }

    /// <summary>False when the header ended inside a quoted value.</summary>
    public bool Complete { get; init; }

    public static DigestParameters Parse(ReadOnlySpan<byte> parameters)
    {
        ReadOnlySpan<byte> username = default, realm = default, nonce = default, uri = default, response = default;
        ReadOnlySpan<byte> algorithm = default, qop = default, nc = default, cnonce = default;
        bool userHash = false;
        bool complete = true;
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
                    complete = false;
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
                username = value;
            }
            else if (Ascii.EqualsIgnoreCase(key, "realm"u8))
            {
                realm = value;
            }
            else if (Ascii.EqualsIgnoreCase(key, "nonce"u8))
            {
                nonce = value;
            }
            else if (Ascii.EqualsIgnoreCase(key, "uri"u8))
            {
                uri = value;
            }
            else if (Ascii.EqualsIgnoreCase(key, "response"u8))
            {
                response = value;
            }
            else if (Ascii.EqualsIgnoreCase(key, "algorithm"u8))
            {
                algorithm = value;
            }
            else if (Ascii.EqualsIgnoreCase(key, "qop"u8))
            {
                qop = value;
            }
            else if (Ascii.EqualsIgnoreCase(key, "nc"u8))
            {
                nc = value;
            }
            else if (Ascii.EqualsIgnoreCase(key, "cnonce"u8))
            {
                cnonce = value;
            }
            else if (Ascii.EqualsIgnoreCase(key, "userhash"u8))
            {
                userHash = Ascii.EqualsIgnoreCase(value, "true"u8);
            }
        }

        return new DigestParameters
        {
            Username = username, Realm = realm, Nonce = nonce, Uri = uri, Response = response, Algorithm = algorithm,
            Qop = qop, NonceCount = nc, ClientNonce = cnonce, UserHash = userHash, Complete = complete,
        };
    }
}
