using System.Security.Cryptography;
using ArmAes = System.Runtime.Intrinsics.Arm.Aes;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// The per-frame MAC of epoch signing (site config <c>signing: { mode: epoch, mac: auto|gmac|chacha20-poly1305 }</c>).
/// Both give a 16-byte tag under a 96-bit nonce; the batch root names which one made its tags.
/// </summary>
public enum EpochMac
{
    /// <summary>AES-128-GMAC (GCM with the frame as associated data and no plaintext): CPUs with AES and carry-less multiply instructions.</summary>
    Gmac,

    /// <summary>The Poly1305 tag of ChaCha20-Poly1305 with the frame as associated data: CPUs without AES instructions (the Pi 4's Cortex-A72).</summary>
    ChaCha20Poly1305,
}

/// <summary>Names, domains and implementations of <see cref="EpochMac"/>.</summary>
public static class EpochMacs
{
    /// <summary>
    /// The MAC <c>mac: auto</c> picks on this CPU: GMAC where AES instructions exist (x86 with AES-NI and PCLMULQDQ, in
    /// managed code; arm64 with the crypto extensions, through OpenSSL), else ChaCha20-Poly1305, whose software speed
    /// does not depend on them.
    /// </summary>
    public static EpochMac Preferred => AesGmac.IsSupported || ArmAes.Arm64.IsSupported ? EpochMac.Gmac : EpochMac.ChaCha20Poly1305;

    public static string Name(EpochMac mac) => mac == EpochMac.Gmac ? "gmac" : "chacha20-poly1305";

    /// <summary>Domain of the uhsign input that derives an epoch key for <paramref name="mac"/> (8 bytes): a key is never used with both MACs.</summary>
    public static ReadOnlySpan<byte> KeyDomain(EpochMac mac) => mac == EpochMac.Gmac ? "KEKEYg1\0"u8 : "KEKEYc1\0"u8;

    /// <summary>Domain of a batch of <paramref name="mac"/>'s tags (8 bytes): what the hypervisor signs names the MAC (and, "2", that the root binds the tags by <see cref="BatchRootKey"/>).</summary>
    public static ReadOnlySpan<byte> RootDomain(EpochMac mac) => mac == EpochMac.Gmac ? "KEROOTg2"u8 : "KEROOTc2"u8;

    /// <summary>Domain of the uhsign input that derives a session's <see cref="BatchRootKey"/> for <paramref name="mac"/> (8 bytes): never an epoch key's.</summary>
    public static ReadOnlySpan<byte> RootKeyDomain(EpochMac mac) => mac == EpochMac.Gmac ? "KERKEYg1"u8 : "KERKEYc1"u8;

    /// <summary>The MAC whose batches start with <paramref name="domain"/>; false for any other 8 bytes.</summary>
    public static bool TryFromRootDomain(ReadOnlySpan<byte> domain, out EpochMac mac)
    {
        mac = domain.SequenceEqual(RootDomain(EpochMac.Gmac)) ? EpochMac.Gmac : EpochMac.ChaCha20Poly1305;
        return domain.SequenceEqual(RootDomain(mac));
    }

    /// <summary>Is <paramref name="mac"/> computed in managed code here (<see cref="AesGmac"/>, <see cref="GmacKey"/>), not through OpenSSL?</summary>
    internal static bool IsManaged(EpochMac mac) => mac == EpochMac.Gmac && AesGmac.IsSupported;

    /// <summary>A keyed instance of <paramref name="mac"/> (the 32-byte epoch key; GMAC uses its first 16 bytes as the AES-128 key).</summary>
    internal static IFrameMac Create(EpochMac mac, ReadOnlySpan<byte> key) => mac switch
    {
        _ when IsManaged(mac) => new AesGmac(key[..AesGmac.KeySize]),
        EpochMac.Gmac => new OpenSslGmac(key[..AesGmac.KeySize]),
        _ => new ChaChaPoly(key),
    };
}

/// <summary>One keyed per-frame MAC: a 16-byte tag of a frame under a 96-bit nonce. Not thread-safe.</summary>
internal interface IFrameMac : IDisposable
{
    void Tag(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> message, Span<byte> tag);
}

/// <summary>GMAC through OpenSSL's AES-GCM: the same tags where the managed one cannot run (arm64's crypto extensions).</summary>
internal sealed class OpenSslGmac(ReadOnlySpan<byte> key) : IFrameMac
{
    private readonly AesGcm _gcm = new(key, AesGmac.TagSize);

    public void Tag(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> message, Span<byte> tag) =>
        _gcm.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag[..AesGmac.TagSize], message);

    public void Dispose() => _gcm.Dispose();
}

/// <summary>The Poly1305 tag of ChaCha20-Poly1305 through OpenSSL (NEON on arm64).</summary>
internal sealed class ChaChaPoly(ReadOnlySpan<byte> key) : IFrameMac
{
    private readonly ChaCha20Poly1305 _aead = new(key);

    public void Tag(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> message, Span<byte> tag) =>
        _aead.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag[..AesGmac.TagSize], message);

    public void Dispose() => _aead.Dispose();
}
