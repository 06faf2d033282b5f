using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Signing;

/// <summary>What <see cref="TagVerifier.Check"/> found.</summary>
public enum TagCheck
{
    /// <summary>The hypervisor signed this batch, and the tag is the frame's under the claimed device, chain and epoch.</summary>
    Valid,

    /// <summary>The batch or its root was not signed by the hypervisor (altered, truncated, or made elsewhere).</summary>
    ForgedBatch,

    /// <summary>The tag is not the frame's: other bytes, direction, device, chain measurement, epoch or position.</summary>
    Forged,

    /// <summary>A frame of this session at this or a later position was already accepted.</summary>
    Replayed,

    /// <summary>The index is not a tag of the batch.</summary>
    NotInBatch,
}

/// <summary>
/// Checks frames against the batches a signing stage sealed (<see cref="IBatchRootLog"/>), as anyone who can ask the
/// hypervisor can: one uhsign call to derive the session's <see cref="BatchRootKey"/> and one uhsign verify of the root (over
/// the batch's header and the digest of its tags under that key), one uhsign call to derive the claimed epoch key, one tag. Frames of
/// one session must be checked in the order they were sent: a frame at or before the last one accepted is a replay.
/// Bounded: remembers the last accepted position of at most <see cref="MaxSessions"/> sessions.
/// </summary>
public sealed class TagVerifier(IHypervisor hypervisor)
{
    public const int MaxSessions = 1_024;

    private readonly Dictionary<UInt128, long> _accepted = [];

    /// <summary>Checks frame <paramref name="index"/> of <paramref name="batch"/> (signed by <paramref name="root"/>).</summary>
    public TagCheck Check(ReadOnlySpan<byte> batch, ReadOnlySpan<byte> root, int index, ulong deviceMac, ReadOnlySpan<byte> chainMeasurement, long epoch, Direction direction, ReadOnlySpan<byte> frame)
    {
        ArgumentNullException.ThrowIfNull(hypervisor);
        if (root.Length != HypervisorShim.DigestSize || !BatchLayout.TryRead(batch, out var mac, out var session, out var first, out var tags))
        {
            return TagCheck.ForgedBatch;
        }

        Span<byte> rootInput = stackalloc byte[BatchLayout.RootInputSize];
        using (var rootKey = new BatchRootKey(hypervisor, mac, session))
        {
            BatchLayout.RootInput(batch, rootKey, rootInput);
        }

        if (!hypervisor.VerifyHmac(rootInput, root))
        {
            return TagCheck.ForgedBatch;
        }

        if ((uint)index >= (uint)tags)
        {
            return TagCheck.NotInBatch;
        }

        var sequence = first + index;
        using (var key = new EpochKey(hypervisor, mac, session, deviceMac, chainMeasurement, epoch))
        {
            if (!key.Verify(sequence, direction, frame, BatchLayout.Tag(batch, index)))
            {
                return TagCheck.Forged;
            }
        }

        var id = new UInt128(BitConverter.ToUInt64(session[..8]), BitConverter.ToUInt64(session[8..]));
        if (_accepted.TryGetValue(id, out var last) && sequence <= last)
        {
            return TagCheck.Replayed;
        }

        if (_accepted.Count >= MaxSessions && !_accepted.ContainsKey(id))
        {
            _accepted.Clear();
        }

        _accepted[id] = sequence;
        return TagCheck.Valid;
    }
}
