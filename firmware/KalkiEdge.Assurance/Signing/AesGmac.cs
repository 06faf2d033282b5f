using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// GMAC with AES-128 (NIST SP 800-38D: AES-GCM with no plaintext, the message as additional authenticated data),
/// computed in managed code with AES-NI and PCLMULQDQ: no call into OpenSSL per message, no allocation. The tag is
/// bit-identical to <see cref="System.Security.Cryptography.AesGcm"/>'s for the same key, nonce and associated data
/// (the tests check it against OpenSSL over random keys, nonces and lengths). Only where <see cref="IsSupported"/>.
/// <para>
/// GHASH is computed as POLYVAL (RFC 8452, appendix A: GHASH(H, X…) = ByteReverse(POLYVAL(mulX(ByteReverse(H)),
/// ByteReverse(X)…))), whose field needs no bit shift of the product and reduces with two carry-less multiplies.
/// Runs of blocks are multiplied by H^n…H¹ and summed before one reduction: 32 blocks, four per instruction, with
/// 512-bit VPCLMULQDQ where the CPU has it (a 490-byte frame takes one reduction, a 1,400-byte one three); else 16, two
/// per instruction with 256-bit VPCLMULQDQ, or 8, one per instruction. The last blocks, the partial block and the length block share one
/// reduction too; on the 512-bit path they are one masked load (AVX-512BW) and one multiply, and each multiply of
/// four blocks takes three carry-less multiplies (Karatsuba) instead of four. The key schedule and the powers of H are
/// computed once per key (<see cref="GmacKey"/>, which holds them and computes the tag). Not thread-safe.
/// </para>
/// </summary>
public sealed class AesGmac : IFrameMac
{
    public const int KeySize = 16;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    private GmacKey _key; // not readonly: a call on a readonly struct field would copy the key's state first

    public AesGmac(ReadOnlySpan<byte> key)
        : this(key, Lanes)
    {
    }

    /// <param name="lanes">Blocks per carry-less multiply, at most <see cref="Lanes"/>: fewer where more run (tests compare the paths).</param>
    internal AesGmac(ReadOnlySpan<byte> key, int lanes)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("AES-GMAC in managed code needs AES-NI and PCLMULQDQ");
        }

        if (key.Length != KeySize)
        {
            throw new ArgumentException($"an AES-128 key is {KeySize} bytes, not {key.Length}", nameof(key));
        }

        _key = new GmacKey(key, lanes);
    }

    /// <summary>Erases the round keys and hash-key powers (a key that is done with).</summary>
    public void Dispose() => _key = default;

    /// <summary>AES-NI, PCLMULQDQ and SSSE3 (byte shuffles) are all present.</summary>
    public static bool IsSupported => X86Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    /// <summary>
    /// Blocks per carry-less multiply instruction on this CPU: four (512-bit VPCLMULQDQ with AVX-512BW), two (256-bit
    /// VPCLMULQDQ with AVX2), else one.
    /// </summary>
    public static int Lanes =>
        Pclmulqdq.V512.IsSupported && Avx512BW.IsSupported ? 4
        : Pclmulqdq.V256.IsSupported && Avx2.IsSupported ? 2
        : 1;

    /// <summary>Writes the 16-byte GMAC of <paramref name="message"/> under <paramref name="nonce"/> (96 bits, never twice per key).</summary>
    public void Tag(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        if (nonce.Length != NonceSize || tag.Length < TagSize)
        {
            throw new ArgumentException($"GMAC takes a {NonceSize}-byte nonce and a {TagSize}-byte tag");
        }

        _key.Tag(BinaryPrimitives.ReadUInt64LittleEndian(nonce), BinaryPrimitives.ReadUInt32LittleEndian(nonce[8..]), message, tag);
    }
}
