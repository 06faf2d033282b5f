using System.Buffers.Binary;
using System.Security.Cryptography;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// The key a signing session's batch roots bind their tags with: <c>Kr = uhsign(root key domain of the MAC ‖ session (16))</c>,
/// derived by the hypervisor like an epoch key, so only software that can ask the hypervisor (the stage, a verifier)
/// can compute it. The root's digest of a batch's tags is the <see cref="EpochMac"/> tag of the tags under Kr, with the
/// nonce <c>0 0 0 0 ‖ first sequence of the batch (u64 BE)</c>: batches of one session start at distinct sequences, so
/// no nonce repeats under Kr. Not thread-safe (one per signing stage).
/// </summary>
public sealed class BatchRootKey : IDisposable
{
    public const int DigestSize = 16;
    public const int DerivationSize = 8 + EpochKey.SessionSize;
    private const int NonceSize = 12;

    private readonly IFrameMac _mac;

    public BatchRootKey(IHypervisor hypervisor, EpochMac mac, ReadOnlySpan<byte> session)
    {
        ArgumentNullException.ThrowIfNull(hypervisor);
        Span<byte> input = stackalloc byte[DerivationSize];
        Derivation(mac, session, input);
        Span<byte> key = stackalloc byte[HypervisorShim.DigestSize];
        hypervisor.Hmac(input, key);
        _mac = EpochMacs.Create(mac, key);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>The uhsign input for a session's root key.</summary>
    public static void Derivation(EpochMac mac, ReadOnlySpan<byte> session, Span<byte> input)
    {
        EpochMacs.RootKeyDomain(mac).CopyTo(input);
        session[..EpochKey.SessionSize].CopyTo(input[8..]);
    }

    /// <summary>Writes the 16-byte digest of <paramref name="tags"/>, a batch's tags from <paramref name="firstSequence"/> on.</summary>
    public void Digest(long firstSequence, ReadOnlySpan<byte> tags, Span<byte> digest)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        nonce[..4].Clear();
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], firstSequence);
        _mac.Tag(nonce, tags, digest[..DigestSize]);
    }

    public void Dispose() => _mac.Dispose();
}
