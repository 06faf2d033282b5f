using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// One AES-128-GMAC key's state and the tag under it: the round keys and the powers of H, held inline wherever the
/// key is (in <see cref="AesGmac"/>, or in an <see cref="EpochKey"/> itself, so the signer reaches a device's key
/// material through one object, not through a pointer into a second one). The computation is
/// <see cref="AesGmac"/>'s (see there). Keep it in a field that is not readonly: a method called on a readonly struct
/// field works on a copy of its ~760 bytes. Only where <see cref="AesGmac.IsSupported"/>.
/// </summary>
internal struct GmacKey
{
    private const int Rounds = 10;
    private const int NarrowAggregated = 8; // blocks per reduction in the 128-bit bulk loop
    private const int Aggregated = 16; // blocks per reduction in the 256-bit bulk loop
    private const int QuadAggregated = 32; // blocks per reduction in the 512-bit bulk loop
    private const int Highest = QuadAggregated + 1; // the highest power of H a reduction needs

    private RoundKeys _roundKeys; // inline, as are the powers: no array beside the key's holder

    // H³³, H³², …, H¹, 0, 0, 0 in POLYVAL's field: H^k at [Highest - k]. Descending, so one 256-bit load at
    // [Highest - k] gives the pair (H^k, H^(k-1)) for two consecutive blocks and a 512-bit one the four from H^k down;
    // the zeros stand beside H¹ for blocks that are not there.
    private HashKeyPowers _powers;
    private readonly int _lanes;

    /// <param name="lanes">Blocks per carry-less multiply, at most <see cref="AesGmac.Lanes"/>.</param>
    public GmacKey(ReadOnlySpan<byte> key, int lanes)
    {
        _lanes = Math.Min(lanes, AesGmac.Lanes);
        ExpandKey(Vector128.Create(key), ref _roundKeys);
        var h = MulX(Reverse(Encrypt(Vector128<byte>.Zero)).AsUInt64());
        _powers[Highest - 1] = h;
        for (int k = 2; k <= Highest; k++)
        {
            _powers[Highest - k] = Dot(_powers[Highest - k + 1], h);
        }
    }

    /// <summary>
    /// Writes the 16-byte GMAC of <paramref name="message"/> under the nonce whose bytes 0–7 and 8–11 are
    /// <paramref name="nonceHead"/> and <paramref name="nonceTail"/> in little-endian order (x86's, the only one this runs
    /// on): a caller that makes the nonce from numbers hands them over in registers, with no bytes stored and read back,
    /// and inlines this (one call per tag, into the hash).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Tag(ulong nonceHead, uint nonceTail, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        // J0 = nonce ‖ 0x00000001; its encryption is independent of the hash, so the CPU overlaps the two.
        var j0 = Vector128.Create(nonceHead, nonceTail | (1UL << 56));
        var mask = Encrypt(j0.AsByte());
        var y = _lanes == 4 ? HashQuad(message) : _lanes == 2 ? HashWide(message) : Hash(message);
        (Reverse(y.AsByte()) ^ mask).CopyTo(tag);
    }

    // POLYVAL of the reversed blocks of the message and its length block: eight blocks per reduction, then the rest
    // (up to seven full blocks, the partial block and the length block) under one more.
    private Vector128<ulong> Hash(ReadOnlySpan<byte> message)
    {
        ref var start = ref MemoryMarshal.GetReference(message);
        nuint length = (nuint)message.Length;
        nuint offset = 0;
        var y = Vector128<ulong>.Zero;
        var product = default(Product);
        while (length - offset >= NarrowAggregated * 16)
        {
            product.Add(Load(ref start, offset + 16), Power(7));
            product.Add(Load(ref start, offset + 32), Power(6));
            product.Add(Load(ref start, offset + 48), Power(5));
            product.Add(Load(ref start, offset + 64), Power(4));
            product.Add(Load(ref start, offset + 80), Power(3));
            product.Add(Load(ref start, offset + 96), Power(2));
            product.Add(Load(ref start, offset + 112), Power(1));
            product.Add(Load(ref start, offset) ^ y, Power(8)); // last: the only product that waits for y
            y = product.Reduce();
            product = default;
            offset += NarrowAggregated * 16;
        }

        int k = Remaining(length, offset);
        for (; length - offset >= 16; offset += 16)
        {
            product.Add(Load(ref start, offset) ^ y, Power(k--));
            y = Vector128<ulong>.Zero;
        }

        if (offset < length)
        {
            product.Add(LoadPartial(message, offset) ^ y, Power(k));
            y = Vector128<ulong>.Zero;
        }

        product.Add(Lengths(message) ^ y, Power(1));
        return product.Reduce();
    }

    // As Hash, two blocks per multiply in 256-bit registers, sixteen blocks per reduction. The bulk loop is unrolled:
    // its blocks' multiplies are independent, only the first block's waits for the previous reduction.
    private Vector128<ulong> HashWide(ReadOnlySpan<byte> message)
    {
        ref var start = ref MemoryMarshal.GetReference(message);
        nuint length = (nuint)message.Length;
        nuint offset = 0;
        var y = Vector256<ulong>.Zero;
        var product = default(WideProduct);
        while (length - offset >= Aggregated * 16)
        {
            product.Add(LoadPair(ref start, offset + 32), Powers(14));
            product.Add(LoadPair(ref start, offset + 64), Powers(12));
            product.Add(LoadPair(ref start, offset + 96), Powers(10));
            product.Add(LoadPair(ref start, offset + 128), Powers(8));
            product.Add(LoadPair(ref start, offset + 160), Powers(6));
            product.Add(LoadPair(ref start, offset + 192), Powers(4));
            product.Add(LoadPair(ref start, offset + 224), Powers(2));
            product.Add(LoadPair(ref start, offset) ^ y, Powers(16)); // last: the only product that waits for y
            y = product.Reduce().ToVector256();
            product = default;
            offset += Aggregated * 16;
        }

        return HashTail(message, offset, y, product);
    }

    // As HashWide, four blocks per multiply in 512-bit registers and 32 blocks per reduction (a 490-byte frame takes
    // one reduction, a 1,400-byte one three); the last, fewer than four blocks go two per multiply. All in one method,
    // the sums in registers, the byte-reversing mask loaded once.
    private Vector128<ulong> HashQuad(ReadOnlySpan<byte> message)
    {
        ref var start = ref MemoryMarshal.GetReference(message);
        var reverse = ReverseQuad;
        nuint length = (nuint)message.Length;
        nuint offset = 0;
        var y = Vector128<ulong>.Zero;
        var product = default(QuadProduct);
        while (length - offset >= QuadAggregated * 16)
        {
            product.Add(LoadQuad(ref start, offset + 64, reverse), Quads(28));
            product.Add(LoadQuad(ref start, offset + 128, reverse), Quads(24));
            product.Add(LoadQuad(ref start, offset + 192, reverse), Quads(20));
            product.Add(LoadQuad(ref start, offset + 256, reverse), Quads(16));
            product.Add(LoadQuad(ref start, offset + 320, reverse), Quads(12));
            product.Add(LoadQuad(ref start, offset + 384, reverse), Quads(8));
            product.Add(LoadQuad(ref start, offset + 448, reverse), Quads(4));
            product.Add(LoadQuad(ref start, offset, reverse) ^ y.ToVector256().ToVector512(), Quads(32)); // last: the only product that waits for y
            y = product.Reduce();
            product = default;
            offset += QuadAggregated * 16;
        }

        int k = Remaining(length, offset);
        for (; length - offset >= 64; offset += 64, k -= 4)
        {
            product.Add(LoadQuad(ref start, offset, reverse) ^ y.ToVector256().ToVector512(), Quads(k));
            y = Vector128<ulong>.Zero;
        }

        // The last 0-3 full blocks, the partial block and the length block: one masked load (bytes past the message
        // are neither read nor faulted on) and the length block in the lane after the data, multiplied by H^n…H¹ and
        // the zeros below H¹; a fifth block (the length block after four data blocks) takes one more multiply.
        int remaining = (int)(length - offset);
        int blocks = (remaining + 15) / 16;
        var data = remaining > 0 ? LoadMasked(message, offset, remaining, reverse) : Vector512<ulong>.Zero;
        var lengths = Vector512.Create(Lengths(message));
        var lengthsLane = Vector512.Equals(Vector512.Create(0UL, 0, 1, 1, 2, 2, 3, 3), Vector512.Create((ulong)blocks));
        product.Add(Vector512.ConditionalSelect(lengthsLane, lengths, data) ^ y.ToVector256().ToVector512(), Quads(blocks + 1));
        if (blocks == 4)
        {
            product.Add(Lengths(message).ToVector256().ToVector512(), Quads(1));
        }

        return product.Reduce();
    }

    // The message's bytes from offset (fewer than 64), zero beyond, each block byte-reversed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<ulong> LoadMasked(ReadOnlySpan<byte> message, nuint offset, int count, Vector512<byte> reverse)
    {
        var inMessage = Vector512.LessThan(ByteIndex, Vector512.Create((byte)count));
        fixed (byte* start = message)
        {
            return Avx512BW.Shuffle(Avx512BW.MaskLoad(start + offset, inMessage, Vector512<byte>.Zero), reverse).AsUInt64();
        }
    }

    private static Vector512<byte> ByteIndex
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(
            (byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
            32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63);
    }

    // The blocks from offset (fewer than sixteen), the partial block and the length block, two per multiply, added to
    // the unreduced product and the running sum y of the blocks before them, and reduced once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<ulong> HashTail(ReadOnlySpan<byte> message, nuint offset, Vector256<ulong> y, WideProduct product)
    {
        ref var start = ref MemoryMarshal.GetReference(message);
        nuint length = (nuint)message.Length;
        int k = Remaining(length, offset);
        for (; length - offset >= 32; offset += 32, k -= 2)
        {
            product.Add(LoadPair(ref start, offset) ^ y, Powers(k));
            y = Vector256<ulong>.Zero;
        }

        if (length - offset >= 16)
        {
            product.Add(Load(ref start, offset).ToVector256() ^ y, Powers(k--));
            y = Vector256<ulong>.Zero;
            offset += 16;
        }

        // The partial block (if any) and the length block, as one pair.
        var lengths = Lengths(message);
        var last = offset < length
            ? Vector256.Create(LoadPartial(message, offset), lengths)
            : lengths.ToVector256();
        product.Add(last ^ y, Powers(k));
        return product.Reduce();
    }

    // Blocks left from offset, with the partial block and the length block: the highest power they need (≤ 33).
    private static int Remaining(nuint length, nuint offset) => (int)((length - offset + 15) / 16) + 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<ulong> Power(int k) => Unsafe.Add(ref _powers[0], Highest - k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<ulong> Powers(int k) =>
        Vector256.LoadUnsafe(ref Unsafe.As<Vector128<ulong>, ulong>(ref _powers[0]), (nuint)(2 * (Highest - k)));

    // H^k, H^(k-1), H^(k-2), H^(k-3), zeros below H¹.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<ulong> Quads(int k) =>
        Vector512.LoadUnsafe(ref Unsafe.As<Vector128<ulong>, ulong>(ref _powers[0]), (nuint)(2 * (Highest - k)));

    // The reflected [len(A)]₆₄ ‖ [len(C)]₆₄ block, len(C) = 0.
    private static Vector128<ulong> Lengths(ReadOnlySpan<byte> message) => Vector128.Create(0UL, (ulong)message.Length * 8);

    // The last, partial block of the message padded with zeros, reversed. From a message of a block or more, the 16
    // bytes that end it and one shuffle that moves the tail's r bytes down, reverses them and zeroes the rest (the
    // mask depends only on the length); a shorter message is copied into a zeroed block.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> LoadPartial(ReadOnlySpan<byte> message, nuint offset)
    {
        if (message.Length < 16)
        {
            return LoadShort(message, offset);
        }

        int r = message.Length - (int)offset;
        var ending = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(message), (nuint)(message.Length - 16));
        var index = Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var inTail = Vector128.GreaterThan(index, Vector128.Create((byte)(15 - r)));
        var mask = Vector128.ConditionalSelect(inTail, Vector128.Create((byte)(31 - r)) - index, Vector128.Create((byte)0x80));
        return Ssse3.Shuffle(ending, mask).AsUInt64();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector128<ulong> LoadShort(ReadOnlySpan<byte> message, nuint offset)
    {
        Span<byte> last = stackalloc byte[16];
        last.Clear();
        message[(int)offset..].CopyTo(last);
        return Reverse(Vector128.Create((ReadOnlySpan<byte>)last)).AsUInt64();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Load(ref byte start, nuint offset) =>
        Reverse(Vector128.LoadUnsafe(ref start, offset)).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> LoadPair(ref byte start, nuint offset) =>
        Avx2.Shuffle(Vector256.LoadUnsafe(ref start, offset), Vector256.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> LoadQuad(ref byte start, nuint offset, Vector512<byte> reverse) =>
        Avx512BW.Shuffle(Vector512.LoadUnsafe(ref start, offset), reverse).AsUInt64();

    // Reverses the bytes of each 16-byte block of a 512-bit register (the operand of LoadQuad's shuffle, which indexes
    // within each block): 15 - (i mod 16) for byte i.
    private static Vector512<byte> ReverseQuad
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create((byte)15) - (ByteIndex & Vector512.Create((byte)15));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Reverse(Vector128<byte> block) =>
        Ssse3.Shuffle(block, Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> Encrypt(Vector128<byte> block)
    {
        block ^= _roundKeys[0];
        block = X86Aes.Encrypt(block, _roundKeys[1]);
        block = X86Aes.Encrypt(block, _roundKeys[2]);
        block = X86Aes.Encrypt(block, _roundKeys[3]);
        block = X86Aes.Encrypt(block, _roundKeys[4]);
        block = X86Aes.Encrypt(block, _roundKeys[5]);
        block = X86Aes.Encrypt(block, _roundKeys[6]);
        block = X86Aes.Encrypt(block, _roundKeys[7]);
        block = X86Aes.Encrypt(block, _roundKeys[8]);
        block = X86Aes.Encrypt(block, _roundKeys[9]);
        return X86Aes.EncryptLast(block, _roundKeys[Rounds]);
    }

    // a·b·x⁻¹²⁸ in POLYVAL's field.
    private static Vector128<ulong> Dot(Vector128<ulong> a, Vector128<ulong> b)
    {
        var product = default(Product);
        product.Add(a, b);
        return product.Reduce();
    }

    // mulX_POLYVAL: the key GHASH's H becomes in POLYVAL (RFC 8452, appendix A). Constant time: the carry is a mask.
    private static Vector128<ulong> MulX(Vector128<ulong> h)
    {
        var (lo, hi) = (h.GetElement(0), h.GetElement(1));
        var carry = 0UL - (hi >> 63);
        return Vector128.Create((lo << 1) ^ (carry & 1), ((hi << 1) | (lo >> 63)) ^ (carry & 0xC200000000000000UL));
    }

    // Reduces the 256-bit carry-less product (lo, hi) to a·b·x⁻¹²⁸ modulo x¹²⁸ + x¹²⁷ + x¹²⁶ + x¹²¹ + 1 (Gueron and Lindell's AES-GCM-SIV).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reduce(Vector128<ulong> lo, Vector128<ulong> hi)
    {
        var poly = Vector128.Create(1UL, 0xC200000000000000UL);
        lo = Sse2.Shuffle(lo.AsUInt32(), 0x4E).AsUInt64() ^ Pclmulqdq.CarrylessMultiply(lo, poly, 0x10);
        lo = Sse2.Shuffle(lo.AsUInt32(), 0x4E).AsUInt64() ^ Pclmulqdq.CarrylessMultiply(lo, poly, 0x10);
        return lo ^ hi;
    }

    // A sum of carry-less products kept as low, high and middle terms, reduced once.
    private struct Product
    {
        private Vector128<ulong> _lo;
        private Vector128<ulong> _hi;
        private Vector128<ulong> _mid;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector128<ulong> a, Vector128<ulong> b)
        {
            _lo ^= Pclmulqdq.CarrylessMultiply(a, b, 0x00);
            _hi ^= Pclmulqdq.CarrylessMultiply(a, b, 0x11);
            _mid ^= Pclmulqdq.CarrylessMultiply(a, b, 0x10) ^ Pclmulqdq.CarrylessMultiply(a, b, 0x01);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector128<ulong> Reduce() =>
            GmacKey.Reduce(_lo ^ Sse2.ShiftLeftLogical128BitLane(_mid, 8), _hi ^ Sse2.ShiftRightLogical128BitLane(_mid, 8));
    }

    // As Product, two blocks per register; the lanes are summed before the reduction.
    private struct WideProduct(Vector256<ulong> lo, Vector256<ulong> hi, Vector256<ulong> mid)
    {
        private Vector256<ulong> _lo = lo;
        private Vector256<ulong> _hi = hi;
        private Vector256<ulong> _mid = mid;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector256<ulong> a, Vector256<ulong> b)
        {
            _lo ^= Pclmulqdq.V256.CarrylessMultiply(a, b, 0x00);
            _hi ^= Pclmulqdq.V256.CarrylessMultiply(a, b, 0x11);
            _mid ^= Pclmulqdq.V256.CarrylessMultiply(a, b, 0x10) ^ Pclmulqdq.V256.CarrylessMultiply(a, b, 0x01);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector128<ulong> Reduce()
        {
            var mid = _mid.GetLower() ^ _mid.GetUpper();
            return GmacKey.Reduce(
                _lo.GetLower() ^ _lo.GetUpper() ^ Sse2.ShiftLeftLogical128BitLane(mid, 8),
                _hi.GetLower() ^ _hi.GetUpper() ^ Sse2.ShiftRightLogical128BitLane(mid, 8));
        }
    }

    // As Product, four blocks per register, with Karatsuba's middle term: three carry-less multiplies per four blocks
    // instead of four (the multiplier is the bottleneck: ~1 ns a 512-bit one here). The middle sum is kept as
    // Σ (a₀ ⊕ a₁)(b₀ ⊕ b₁) and corrected by the low and high sums once, when folded.
    private struct QuadProduct
    {
        private Vector512<ulong> _lo;
        private Vector512<ulong> _hi;
        private Vector512<ulong> _mid;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector512<ulong> a, Vector512<ulong> b)
        {
            _lo ^= Pclmulqdq.V512.CarrylessMultiply(a, b, 0x00);
            _hi ^= Pclmulqdq.V512.CarrylessMultiply(a, b, 0x11);
            _mid ^= Pclmulqdq.V512.CarrylessMultiply(a ^ SwapHalves(a), b ^ SwapHalves(b), 0x00);
        }

        // The four lanes summed and the middle term corrected: the same sum, unreduced, two blocks per register.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly WideProduct Fold()
        {
            var mid = _mid ^ _lo ^ _hi;
            return new(_lo.GetLower() ^ _lo.GetUpper(), _hi.GetLower() ^ _hi.GetUpper(), mid.GetLower() ^ mid.GetUpper());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector128<ulong> Reduce() => Fold().Reduce();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<ulong> SwapHalves(Vector512<ulong> v) => Avx512F.Shuffle(v.AsUInt32(), 0x4E).AsUInt64();
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

    [InlineArray(Highest + 3)]
    private struct HashKeyPowers
    {
        private Vector128<ulong> _power;
    }

}
