using System.Security.Cryptography;

namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// Recomputes an RFC 7616 Digest <c>response</c> for a known user and password, the way the server does:
/// HA1 = H(user ":" realm ":" password) (for the "-sess" algorithms H(HA1 ":" nonce ":" cnonce)),
/// HA2 = H(method ":" uri), response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2) with qop "auth",
/// or H(HA1 ":" nonce ":" HA2) without qop (RFC 2069 compatibility). MD5 and SHA-256 are supported;
/// SHA-512-256 and qop "auth-int" (which hashes the whole body) are not: such a login is still a login, but
/// cannot be recognised as a default one. Allocation-free (stack buffers, static hash functions).
/// </summary>
internal static class DigestResponse
{
    /// <summary>Longest parameter value taken part in a recomputation; longer ones are not checked.</summary>
    public const int MaxField = 256;

    private const int MaxHashBytes = 32;
    private const int MaxHexBytes = 2 * MaxHashBytes;
    private const int MaxInput = (6 * MaxField) + (2 * MaxHexBytes) + 16;

    /// <summary>The hash named by the header's algorithm, or none when it is not one recomputed here.</summary>
    public static DigestAlgorithm AlgorithmOf(in DigestParameters d)
    {
        var a = d.Algorithm;
        return a.Length == 0 || Ascii.EqualsIgnoreCase(a, "MD5"u8) ? new DigestAlgorithm(HashKind.Md5, Session: false)
            : Ascii.EqualsIgnoreCase(a, "MD5-sess"u8) ? new DigestAlgorithm(HashKind.Md5, Session: true)
            : Ascii.EqualsIgnoreCase(a, "SHA-256"u8) ? new DigestAlgorithm(HashKind.Sha256, Session: false)
            : Ascii.EqualsIgnoreCase(a, "SHA-256-sess"u8) ? new DigestAlgorithm(HashKind.Sha256, Session: true)
            : default;
    }

    /// <summary>
    /// True when the header carries everything a recomputation needs, within the bounds, for an algorithm and
    /// qop handled here.
    /// </summary>
    public static bool IsCheckable(in DigestParameters d)
    {
        bool qopAuth = Ascii.EqualsIgnoreCase(d.Qop, "auth"u8);
        return d.Complete && AlgorithmOf(d).Kind != HashKind.None && (d.Qop.Length == 0 || qopAuth)
            && d.Username.Length is > 0 and <= MaxField && d.Realm.Length <= MaxField
            && d.Nonce.Length is > 0 and <= MaxField && d.Uri.Length is > 0 and <= MaxField
            && d.Response.Length is > 0 and <= MaxHexBytes
            && (!qopAuth || (d.NonceCount.Length is > 0 and <= MaxField && d.ClientNonce.Length <= MaxField))
            && (!AlgorithmOf(d).Session || d.ClientNonce.Length <= MaxField);
    }

    /// <summary>True when the header names <paramref name="user"/> (by name, or by H(user ":" realm) with userhash).</summary>
    public static bool NamesUser(in DigestParameters d, ReadOnlySpan<byte> user)
    {
        if (!d.UserHash)
        {
            return d.Username.SequenceEqual(user);
        }

        var algorithm = AlgorithmOf(d);
        if (algorithm.Kind == HashKind.None || user.Length > MaxField)
        {
            return false;
        }

        Span<byte> input = stackalloc byte[(2 * MaxField) + 1];
        var w = new ByteWriter(input);
        w.Write(user);
        w.Write(":"u8);
        w.Write(d.Realm);
        Span<byte> hex = stackalloc byte[MaxHexBytes];
        return !w.Overflowed && Ascii.EqualsIgnoreCase(HexHash(algorithm.Kind, w.Written, hex), d.Username);
    }

    /// <summary>
    /// True when <paramref name="password"/> of <paramref name="user"/> produces the header's response for a
    /// request with <paramref name="method"/>. Call only for a header <see cref="IsCheckable"/> accepted.
    /// </summary>
    public static bool Matches(in DigestParameters d, ReadOnlySpan<byte> method, ReadOnlySpan<byte> user, ReadOnlySpan<byte> password)
    {
        var algorithm = AlgorithmOf(d);
        if (method.Length > MaxField || user.Length > MaxField || password.Length > MaxField)
        {
            return false;
        }

        Span<byte> input = stackalloc byte[MaxInput];
        Span<byte> ha1Hex = stackalloc byte[MaxHexBytes];
        Span<byte> ha2Hex = stackalloc byte[MaxHexBytes];
        Span<byte> responseHex = stackalloc byte[MaxHexBytes];

        var w = new ByteWriter(input);
        w.Write(user);
        w.Write(":"u8);
        w.Write(d.Realm);
        w.Write(":"u8);
        w.Write(password);
        var ha1 = HexHash(algorithm.Kind, w.Written, ha1Hex);
        if (algorithm.Session)
        {
            w = new ByteWriter(input);
            w.Write(ha1);
            w.Write(":"u8);
            w.Write(d.Nonce);
            w.Write(":"u8);
            w.Write(d.ClientNonce);
            ha1 = HexHash(algorithm.Kind, w.Written, ha1Hex);
        }

        w = new ByteWriter(input);
        w.Write(method);
        w.Write(":"u8);
        w.Write(d.Uri);
        var ha2 = HexHash(algorithm.Kind, w.Written, ha2Hex);

        w = new ByteWriter(input);
        w.Write(ha1);
        w.Write(":"u8);
        w.Write(d.Nonce);
        w.Write(":"u8);
        if (d.Qop.Length > 0)
        {
            w.Write(d.NonceCount);
            w.Write(":"u8);
            w.Write(d.ClientNonce);
            w.Write(":"u8);
            w.Write(d.Qop);
            w.Write(":"u8);
        }

        w.Write(ha2);
        return !w.Overflowed && Ascii.EqualsIgnoreCase(HexHash(algorithm.Kind, w.Written, responseHex), d.Response);
    }

    /// <summary>Lower-case hex of the hash of <paramref name="input"/>, written into <paramref name="hex"/>.</summary>
    private static ReadOnlySpan<byte> HexHash(HashKind kind, ReadOnlySpan<byte> input, Span<byte> hex)
    {
        Span<byte> hash = stackalloc byte[MaxHashBytes];
#pragma warning disable CA5351 // Digest's MD5 is the protocol's (RFC 7616): recomputed to recognise a login, never to protect anything.
        int length = kind == HashKind.Md5 ? MD5.HashData(input, hash) : SHA256.HashData(input, hash);
#pragma warning restore CA5351
        for (int i = 0; i < length; i++)
        {
            hex[2 * i] = HexDigit(hash[i] >> 4);
            hex[(2 * i) + 1] = HexDigit(hash[i] & 0xF);
        }

        return hex[..(2 * length)];
    }

    private static byte HexDigit(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}

/// <summary>The hash functions Digest responses are recomputed with.</summary>
internal enum HashKind : byte
{
    None,
    Md5,
    Sha256,
}

/// <summary>A Digest algorithm: its hash, and whether it is a "-sess" variant (HA1 bound to the nonces).</summary>
internal readonly record struct DigestAlgorithm(HashKind Kind, bool Session);
