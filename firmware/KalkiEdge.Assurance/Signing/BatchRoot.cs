using System.Buffers.Binary;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// Receives each batch of frame tags as it is sealed: the exact bytes uhsign signed and the root (HMAC-SHA256 by
/// the hypervisor). With the frames and their devices' chain measurements and epochs, that is what
/// <see cref="TagVerifier"/> needs to check every frame later. Called on the signing thread; spans are valid only
/// during the call.
/// </summary>
public interface IBatchRootLog
{
    void Sealed(ReadOnlySpan<byte> batch, ReadOnlySpan<byte> root);
}

/// <summary>
/// The layout of a batch (the uhsign input, at most 1600 bytes): <c>MAC's domain ("KEROOTg1" or "KEROOTc1") ‖
/// session (16) ‖ sequence of the first tag (u64 BE) ‖ tag₀ ‖ tag₁ ‖ …</c>, 16 bytes per tag, tags in sequence order
/// with none left out, so tag i is frame <c>first + i</c> of the session: 98 frames per root.
/// </summary>
public static class BatchLayout
{
    public const int HeaderSize = 8 + EpochKey.SessionSize + 8;
    public const int MaxTags = (HypervisorShim.MaxHmacInput - HeaderSize) / EpochKey.TagSize;

    public static void WriteHeader(Span<byte> batch, EpochMac mac, ReadOnlySpan<byte> session, long firstSequence)
    {
        EpochMacs.RootDomain(mac).CopyTo(batch);
        session[..EpochKey.SessionSize].CopyTo(batch[8..]);
        BinaryPrimitives.WriteInt64BigEndian(batch[(8 + EpochKey.SessionSize)..], firstSequence);
    }

    /// <summary>False when <paramref name="batch"/> is not a well-formed batch (wrong domain, size, or no tags).</summary>
    public static bool TryRead(ReadOnlySpan<byte> batch, out EpochMac mac, out ReadOnlySpan<byte> session, out long firstSequence, out int tags)
    {
        mac = default;
        session = default;
        firstSequence = 0;
        tags = 0;
        if (batch.Length < HeaderSize + EpochKey.TagSize || batch.Length > HypervisorShim.MaxHmacInput
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
