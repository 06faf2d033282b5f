namespace KalkiEdge.Assurance.Signing;

/// <summary>How frames leaving a chain are signed (site config <c>signing: { mode: off|per-frame|batched|epoch }</c>).</summary>
public enum SigningMode
{
    /// <summary>No tags: frames are injected unverified (the dashboard shows a loud warning).</summary>
    Off,

    /// <summary>One shim HMAC per frame (and one verify): lowest latency, one hypercall per frame each way.</summary>
    PerFrame,

    /// <summary>One shim HMAC over the SHA-256 digests of up to 50 frames (1600 bytes, the uhsign buffer).</summary>
    Batched,

    /// <summary>
    /// One MAC per frame (GMAC or ChaCha20-Poly1305, per CPU) under a key the hypervisor derives per device and chain epoch, checked at egress without
    /// holding or rehashing the frame; the hypervisor signs the root of every 1,024 tags (see the Assurance README).
    /// </summary>
    Epoch,
}

/// <summary>Why a frame may not leave.</summary>
internal enum SignatureProblem
{
    None,
    MissingTag,
    Stale,
    Invalid,
}

/// <summary>Per-stage counters (read by status displays and the replay summary).</summary>
public sealed class SigningCounters
{
    /// <summary>Frames offered to the stage.</summary>
    public long Submitted;

    /// <summary>Frames that passed verification (or were passed unverified with signing off) and were injected.</summary>
    public long Released;

    /// <summary>Frames released with signing off.</summary>
    public long Unsigned;

    /// <summary>Shim HMAC calls made to tag frames (per-frame: one per frame; batched: one per batch; epoch: one per key and one per batch root).</summary>
    public long SignCalls;

    /// <summary>Epoch mode: batch roots the hypervisor signed (each over up to 1,024 frame tags).</summary>
    public long BatchRoots;

    /// <summary>Shim verify calls made at egress.</summary>
    public long VerifyCalls;

    /// <summary>Dropped: no tag (no device, or no chain in force, when the frame left).</summary>
    public long MissingTag;

    /// <summary>Dropped: tagged by a chain generation that is no longer in force (the device's chain was swapped).</summary>
    public long Stale;

    /// <summary>Dropped: the tag does not verify (frame, device or chain measurement changed, or the batch MAC is wrong).</summary>
    public long Invalid;

    public long Dropped => MissingTag + Stale + Invalid;

    /// <summary>Adds <paramref name="other"/>'s counts to these (totals over several stages, e.g. one per capture thread).</summary>
    public void Add(SigningCounters other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Submitted += other.Submitted;
        Released += other.Released;
        Unsigned += other.Unsigned;
        SignCalls += other.SignCalls;
        BatchRoots += other.BatchRoots;
        VerifyCalls += other.VerifyCalls;
        MissingTag += other.MissingTag;
        Stale += other.Stale;
        Invalid += other.Invalid;
    }
}
