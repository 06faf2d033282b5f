using System.Buffers.Binary;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// Receives each batch of frame tags as it is sealed: the batch (<see cref="BatchLayout"/>) and its root, the
/// hypervisor's HMAC-SHA256 over <see cref="BatchLayout.RootInput"/>. With the frames and their devices' chain measurements and epochs, that is what
/// <see cref="TagVerifier"/> needs to check every frame later. Called on the signing thread; spans are valid only
/// during the call.
/// </summary>
public interface IBatchRootLog
{
    void Sealed(ReadOnlySpan<byte> batch, ReadOnlySpan<byte> root);
}

/// <summary>
/// The layout of a batch: <c>MAC's domain ("KEROOTg2" or "KEROOTc2") ‖ session (16) ‖ sequence of the first tag
/// (u64 BE) ‖ tag₀ ‖ tag₁ ‖ …</c>, 16 bytes per tag, tags in sequence order with none left out, so tag i is frame
/// <c>first + i</c> of the session: up to <see cref="MaxTags"/> frames per root. The hypervisor signs (uhsign) not
/// the batch but <see cref="RootInput"/>: its header, its tag count and the digest of its tags under the session's
/// <see cref="BatchRootKey"/>, 52 bytes. The hypervisor's HMAC is portable code (and a hypercall on uberXMHF), so
/// the tags are bound here, with the frame MAC under a key only the hypervisor derives: on x86 the managed GMAC of
/// 16 KB of tags costs about a sixteenth of their SHA-256 (0.6 µs against 10 µs), the root's share of each frame's cost.
/// </summary>
public static class BatchLayout
{
    public const int HeaderSize = 8 + EpochKey.SessionSize + 8;
    public const int MaxTags = 1_024;
    public const int MaxSize = HeaderSize + (MaxTags * EpochKey.TagSize);
    public const int RootInputSize = HeaderSize + 4 + BatchRootKey.DigestSize;

    public static void WriteHeader(Span<byte> batch, EpochMac mac, ReadOnlySpan<byte> session, long firstSequence)
    {
        EpochMacs.RootDomain(mac).CopyTo(batch);
        session[..EpochKey.SessionSize].CopyTo(batch[8..]);
        BinaryPrimitives.WriteInt64BigEndian(batch[(8 + EpochKey.SessionSize)..], firstSequence);
    }

    /// <summary>
    /// What uhsign signs for <paramref name="batch"/>: <c>header ‖ tag count (u32 BE) ‖ digest of the tags</c>, the
    /// digest under <paramref name="rootKey"/> (the batch's session's).
    /// </summary>
    public static void RootInput(ReadOnlySpan<byte> batch, BatchRootKey rootKey, Span<byte> input)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        batch[..HeaderSize].CopyTo(input);
        BinaryPrimitives.WriteInt32BigEndian(input[HeaderSize..], (batch.Length - HeaderSize) / EpochKey.TagSize);
        rootKey.Digest(BinaryPrimitives.ReadInt64BigEndian(batch[(8 + EpochKey.SessionSize)..]), batch[HeaderSize..], input[(HeaderSize + 4)..RootInputSize]);
    }

    /// <summary>False when <paramref name="batch"/> is not a well-formed batch (wrong domain, size, or no tags).</summary>
    public static bool TryRead(ReadOnlySpan<byte> batch, out EpochMac mac, out ReadOnlySpan<byte> session, out long firstSequence, out int tags)
    {
        mac = default;
        session = default;
        firstSequence = 0;
        tags = 0;
        if (batch.Length < HeaderSize + EpochKey.TagSize || batch.Length > MaxSize
            || (batch.Length - HeaderSize) % EpochKey.TagSize != 0 || !EpochMacs.TryFromRootDomain(batch[..8], out mac))
        {
            return false;
        }

        session = batch.Slice(8, EpochKey.SessionSize);
        firstSequence = BinaryPrimitives.ReadInt64BigEndian(batch[(8 + EpochKey.SessionSize)..]);
        tags = (batch.Length - HeaderSize) / EpochKey.TagSize;
        return firstSequence >= 0;
    }

    public static ReadOnlySpan<byte> Tag(ReadOnlySpan<byte> batch, int index) =>
        batch.Slice(HeaderSize + (index * EpochKey.TagSize), EpochKey.TagSize);
}
