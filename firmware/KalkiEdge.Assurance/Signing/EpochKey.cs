using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// The key frames of one device are tagged with while one chain generation is in force, for one signing session:
/// <c>K = uhsign(domain of the MAC ‖ session (16) ‖ device MAC (u64 BE) ‖ chain measurement (32) ‖ epoch (i64 BE))</c>,
/// derived by the hypervisor (one HMAC-SHA256 call per device and epoch), never by software holding its key.
/// A frame's tag is the <see cref="EpochMac"/> under K (AES-128-GMAC, or ChaCha20-Poly1305's Poly1305 tag) with no
/// plaintext and the frame as associated data; the 96-bit nonce is the direction (1 byte), three zero bytes and the
/// frame's sequence number in the session (u64 BE), so no nonce ever repeats under one key. Not thread-safe (one per
/// signing stage).
/// </summary>
public sealed class EpochKey : IDisposable
{
    public const int TagSize = 16;
    public const int SessionSize = 16;
    public const int DerivationSize = 8 + SessionSize + 8 + 32 + 8;
    private const int NonceSize = 12;

    // The managed GMAC's state, inline: a frame reaches its round keys and powers of H through the key it found on
    // its device, not through a pointer in it to a second object (two dependent cache misses per frame with 1,000
    // devices), and the tag is one call from the signer into the hash. Not readonly (a call would copy it first).
    private GmacKey _gmac;

    // Any other MAC, through OpenSSL; null when the managed GMAC tags.
    private readonly IFrameMac? _mac;

    public EpochKey(IHypervisor hypervisor, EpochMac mac, ReadOnlySpan<byte> session, ulong deviceMac, ReadOnlySpan<byte> chainMeasurement, long epoch)
    {
        ArgumentNullException.ThrowIfNull(hypervisor);
        Span<byte> input = stackalloc byte[DerivationSize];
        Derivation(mac, session, deviceMac, chainMeasurement, epoch, input);
        Span<byte> key = stackalloc byte[HypervisorShim.DigestSize];
        hypervisor.Hmac(input, key);
        if (EpochMacs.IsManaged(mac))
        {
            _gmac = new GmacKey(key[..AesGmac.KeySize], AesGmac.Lanes);
        }
        else
        {
            _mac = EpochMacs.Create(mac, key);
        }

        CryptographicOperations.ZeroMemory(key);
        Mac = mac;
        Epoch = epoch;
    }

    /// <summary>The MAC this key tags with.</summary>
    public EpochMac Mac { get; }

    /// <summary>The chain generation this key is for.</summary>
    public long Epoch { get; }

    /// <summary>The chain of that generation, for a signing stage's keys (null for a verifier's).</summary>
    internal Chain? Chain { get; init; }

    /// <summary>The signing stage's key table that derived this key (null for a verifier's): a key found in a device's slot is used only by its owner.</summary>
    internal object? Owner { get; init; }

    /// <summary>The uhsign input for a key (what a verifier with access to the hypervisor recomputes).</summary>
    public static void Derivation(EpochMac mac, ReadOnlySpan<byte> session, ulong deviceMac, ReadOnlySpan<byte> chainMeasurement, long epoch, Span<byte> input)
    {
        EpochMacs.KeyDomain(mac).CopyTo(input);
        session[..SessionSize].CopyTo(input[8..]);
        BinaryPrimitives.WriteUInt64BigEndian(input[(8 + SessionSize)..], deviceMac);
        chainMeasurement[..32].CopyTo(input[(16 + SessionSize)..]);
        BinaryPrimitives.WriteInt64BigEndian(input[(48 + SessionSize)..], epoch);
    }

    /// <summary>Writes the 16-byte tag of <paramref name="frame"/> sent in <paramref name="direction"/> as frame <paramref name="sequence"/> of the session.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Tag(long sequence, Direction direction, ReadOnlySpan<byte> frame, Span<byte> tag)
    {
        var (head, tail) = Nonce(sequence, direction);
        if (_mac is null)
        {
            _gmac.Tag(head, tail, frame, tag[..TagSize]);
        }
        else
        {
            TagThroughInterface(head, tail, frame, tag[..TagSize]);
        }
    }

    /// <summary>Constant-time: is <paramref name="tag"/> this key's tag for the frame, direction and sequence?</summary>
    public bool Verify(long sequence, Direction direction, ReadOnlySpan<byte> frame, ReadOnlySpan<byte> tag)
    {
        Span<byte> expected = stackalloc byte[TagSize];
        Tag(sequence, direction, frame, expected);
        return tag.Length == TagSize && CryptographicOperations.FixedTimeEquals(expected, tag);
    }

    public void Dispose()
    {
        _gmac = default;
        _mac?.Dispose();
    }

    // direction ‖ 0 0 0 ‖ sequence (u64 BE), as the little-endian values of its bytes 0–7 and 8–11: what the managed
    // GMAC takes in registers, and what the other MACs get stored as bytes (one store per word, so a load of the word
    // takes the stored value at once; little-endian by name, so the bytes are the documented ones on any CPU).
    private static (ulong Head, uint Tail) Nonce(long sequence, Direction direction)
    {
        var bigEndian = BinaryPrimitives.ReverseEndianness((ulong)sequence);
        return ((ulong)direction | (bigEndian << 32), (uint)(bigEndian >> 32));
    }

    // Kept out of Tag: a method with a stackalloc is never inlined, and Tag is, into the signer.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void TagThroughInterface(ulong head, uint tail, ReadOnlySpan<byte> frame, Span<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        BinaryPrimitives.WriteUInt64LittleEndian(nonce, head);
        BinaryPrimitives.WriteUInt32LittleEndian(nonce[8..], tail);
        _mac!.Tag(nonce, frame, tag);
    }
}
