using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// GMAC with AES-128 (NIST SP 800-38D: AES-GCM with no plaintext, the message as additional authenticated data),
/// computed in managed code with AES-NI and PCLMULQDQ: no call into OpenSSL per message, no allocation. The tag is
/// bit-identical to <see cref="System.Security.Cryptography.AesGcm"/>'s for the same key, nonce and associated data
/// (the tests check it against OpenSSL over random keys, nonces and lengths). Only where <see cref="IsSupported"/>.
/// GHASH follows Gueron and Kounavis' reflected-domain multiplication with one reduction per four blocks.
/// Not thread-safe.
/// </summary>
public sealed class AesGmac : IFrameMac
{
    public const int KeySize = 16;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    private const int Rounds = 10;

    private RoundKeys _roundKeys; // inline: a frame's tag touches this one object, not an array beside it
    private Vector128<ulong> _h1; // H, H², H³, H⁴ in the byte-reversed (reflected) domain
    private Vector128<ulong> _h2;
    private Vector128<ulong> _h3;
    private Vector128<ulong> _h4;

    public AesGmac(ReadOnlySpan<byte> key)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("AES-GMAC in managed code needs AES-NI and PCLMULQDQ");
        }

        if (key.Length != KeySize)
        {
            throw new ArgumentException($"an AES-128 key is {KeySize} bytes, not {key.Length}", nameof(key));
        }

        ExpandKey(Vector128.Create(key), ref _roundKeys);
        _h1 = Reverse(Encrypt(Vector128<byte>.Zero)).AsUInt64();
        _h2 = Multiply(_h1, _h1);
        _h3 = Multiply(_h2, _h1);
        _h4 = Multiply(_h3, _h1);
    }

    /// <summary>Erases the round keys and hash-key powers (a key that is done with).</summary>
    public void Dispose()
    {
        _roundKeys = default;
        (_h1, _h2, _h3, _h4) = (default, default, default, default);
    }

    /// <summary>AES-NI, PCLMULQDQ and SSSE3 (byte shuffles) are all present.</summary>
    public static bool IsSupported => X86Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    /// <summary>Writes the 16-byte GMAC of <paramref name="message"/> under <paramref name="nonce"/> (96 bits, never twice per key).</summary>
    public void Tag(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        if (nonce.Length != NonceSize || tag.Length < TagSize)
        {
            throw new ArgumentException($"GMAC takes a {NonceSize}-byte nonce and a {TagSize}-byte tag");
        }

        Span<byte> counter = stackalloc byte[16];
        nonce.CopyTo(counter);
        counter[15] = 1; // J0 = nonce ‖ 0x00000001
        var mask = Encrypt(Vector128.Create((ReadOnlySpan<byte>)counter)); // independent of the hash: the CPU overlaps the two
        var y = Hash(message);
        (Reverse(y.AsByte()) ^ mask).CopyTo(tag);
    }

    // GHASH_H(message padded to blocks ‖ [len(message) in bits]₆₄ ‖ [0]₆₄), in the reflected domain.
    private Vector128<ulong> Hash(ReadOnlySpan<byte> message)
    {
        ref var start = ref MemoryMarshal.GetReference(message);
        var y = Vector128<ulong>.Zero;
        nuint offset = 0;
        nuint length = (nuint)message.Length;
        while (length - offset >= 64)
        {
            var x1 = Load(ref start, offset) ^ y;
            var x2 = Load(ref start, offset + 16);
            var x3 = Load(ref start, offset + 32);
            var x4 = Load(ref start, offset + 48);
            var (lo, hi) = Product(x1, _h4);
            Accumulate(ref lo, ref hi, x2, _h3);
            Accumulate(ref lo, ref hi, x3, _h2);
            Accumulate(ref lo, ref hi, x4, _h1);
            y = Reduce(lo, hi);
            offset += 64;
        }

        while (length - offset >= 16)
        {
            y = Multiply(Load(ref start, offset) ^ y, _h1);
            offset += 16;
        }

        if (offset < length)
        {
            Span<byte> last = stackalloc byte[16];
            last.Clear();
            message[(int)offset..].CopyTo(last);
            y = Multiply(Reverse(Vector128.Create((ReadOnlySpan<byte>)last)).AsUInt64() ^ y, _h1);
        }

        var lengths = Vector128.Create(0UL, (ulong)message.Length * 8); // reflected [len(A)]₆₄ ‖ [len(C)]₆₄ with len(C) = 0
        return Multiply(lengths ^ y, _h1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Load(ref byte start, nuint offset) =>
        Reverse(Vector128.LoadUnsafe(ref start, offset)).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Reverse(Vector128<byte> block) =>
        Ssse3.Shuffle(block, Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));

    private Vector128<byte> Encrypt(Vector128<byte> block)
    {
        block ^= _roundKeys[0];
        for (int i = 1; i < Rounds; i++)
        {
            block = X86Aes.Encrypt(block, _roundKeys[i]);
        }

        return X86Aes.EncryptLast(block, _roundKeys[Rounds]);
    }

    private static Vector128<ulong> Multiply(Vector128<ulong> a, Vector128<ulong> b)
    {
        var (lo, hi) = Product(a, b);
        return Reduce(lo, hi);
    }

    // The 256-bit carry-less product a·b as (low, high) halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<ulong> Lo, Vector128<ulong> Hi) Product(Vector128<ulong> a, Vector128<ulong> b)
    {
        var lo = Pclmulqdq.CarrylessMultiply(a, b, 0x00);
        var hi = Pclmulqdq.CarrylessMultiply(a, b, 0x11);
        var mid = Pclmulqdq.CarrylessMultiply(a, b, 0x10) ^ Pclmulqdq.CarrylessMultiply(a, b, 0x01);
        return (lo ^ Sse2.ShiftLeftLogical128BitLane(mid, 8), hi ^ Sse2.ShiftRightLogical128BitLane(mid, 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref Vector128<ulong> lo, ref Vector128<ulong> hi, Vector128<ulong> a, Vector128<ulong> b)
    {
        var (l, h) = Product(a, b);
        lo ^= l;
        hi ^= h;
    }

    // Shifts the 256-bit product left by one (the reflected domain) and reduces it modulo x¹²⁸ + x⁷ + x² + x + 1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reduce(Vector128<ulong> lo64, Vector128<ulong> hi64)
    {
        var lo = lo64.AsUInt32();
        var hi = hi64.AsUInt32();
        var carryLo = Sse2.ShiftRightLogical(lo, 31);
        var carryHi = Sse2.ShiftRightLogical(hi, 31);
        lo = Sse2.ShiftLeftLogical(lo, 1);
        hi = Sse2.ShiftLeftLogical(hi, 1);
        var across = Sse2.ShiftRightLogical128BitLane(carryLo, 12);
        carryHi = Sse2.ShiftLeftLogical128BitLane(carryHi, 4);
        carryLo = Sse2.ShiftLeftLogical128BitLane(carryLo, 4);
        lo |= carryLo;
        hi |= carryHi | across;

        var a = Sse2.ShiftLeftLogical(lo, 31) ^ Sse2.ShiftLeftLogical(lo, 30) ^ Sse2.ShiftLeftLogical(lo, 25);
        var b = Sse2.ShiftRightLogical128BitLane(a, 4);
        lo ^= Sse2.ShiftLeftLogical128BitLane(a, 12);
        var c = Sse2.ShiftRightLogical(lo, 1) ^ Sse2.ShiftRightLogical(lo, 2) ^ Sse2.ShiftRightLogical(lo, 7) ^ b;
        return (hi ^ lo ^ c).AsUInt64();
    }

    private static void ExpandKey(Vector128<byte> key, ref RoundKeys roundKeys)
    {
        roundKeys[0] = key;
        for (int i = 0; i < Rounds; i++)
        {
            var assist = Sse2.Shuffle(KeygenAssist(key, i).AsInt32(), 0xFF).AsByte();
            var shifted = Sse2.ShiftLeftLogical128BitLane(key, 4);
            key ^= shifted;
            shifted = Sse2.ShiftLeftLogical128BitLane(shifted, 4);
            key ^= shifted;
            shifted = Sse2.ShiftLeftLogical128BitLane(shifted, 4);
            key ^= shifted ^ assist;
            roundKeys[i + 1] = key;
        }
    }

    // AESKEYGENASSIST takes its round constant as an immediate.
    private static Vector128<byte> KeygenAssist(Vector128<byte> key, int round) => round switch
    {
        0 => X86Aes.KeygenAssist(key, 0x01),
        1 => X86Aes.KeygenAssist(key, 0x02),
        2 => X86Aes.KeygenAssist(key, 0x04),
        3 => X86Aes.KeygenAssist(key, 0x08),
        4 => X86Aes.KeygenAssist(key, 0x10),
        5 => X86Aes.KeygenAssist(key, 0x20),
        6 => X86Aes.KeygenAssist(key, 0x40),
        7 => X86Aes.KeygenAssist(key, 0x80),
        8 => X86Aes.KeygenAssist(key, 0x1b),
        _ => X86Aes.KeygenAssist(key, 0x36),
    };

    [InlineArray(Rounds + 1)]
    private struct RoundKeys
    {
        private Vector128<byte> _key;
    }
}
