using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Signing;

/// <summary>Site config <c>signing: { mode: off|per-frame|batched|epoch, batch: 50, hold: 2ms, mac: auto|gmac|chacha20-poly1305, thread: auto|on|off }</c> (batch and hold: batched mode; mac: epoch mode; thread: the live bridge).</summary>
public sealed class SigningOptions
{
    /// <summary>Largest batch: 50 SHA-256 digests fill the 1600-byte uhsign buffer.</summary>
    public const int MaxBatch = HypervisorShim.MaxHmacInput / PacketBinding.DigestSize;

    public const string Section = "signing";

    public SigningMode Mode { get; init; } = SigningMode.Off;

    public int BatchSize { get; init; } = MaxBatch;

    /// <summary>Epoch mode's per-frame MAC; <c>auto</c> is <see cref="EpochMacs.Preferred"/> for this CPU.</summary>
    public EpochMac Mac { get; init; } = EpochMacs.Preferred;

    /// <summary>Whether the live bridge signs on a thread beside each capture thread (<see cref="SignsOnOwnThread"/>).</summary>
    public SigningThread Thread { get; init; } = SigningThread.Auto;

    /// <summary>
    /// <see cref="SigningThread.Auto"/>: a signing thread per capture thread only with at least
    /// <see cref="CoresForSigningThreads"/> processors, a core for each port's capture and signing thread. With fewer the
    /// threads share cores, and there the signing thread lost (the signing bench's bridge-path rows on 2 cores at the
    /// capture threads' real-time priority: 0.34-0.38x of unsigned on a signing thread, 0.63-0.74x on the capture thread).
    /// </summary>
    public bool SignsOnOwnThread(int processors) => Thread switch
    {
        SigningThread.On => true,
        SigningThread.Off => false,
        _ => processors >= CoresForSigningThreads,
    };

    public const int CoresForSigningThreads = 4;

    /// <summary>Longest a frame waits for its batch, in capture time (checked when the next frame arrives; idle flush is the caller's).</summary>
    public long MaxHoldMicros { get; init; } = 2_000;

    /// <summary>The loud start-up line when signing is off (the dashboard shows it too).</summary>
    public const string OffWarning =
        "WARNING: packet signing is OFF for this site: frames leave without proof that they passed their device's μmbox chain (set signing: { mode: epoch })";

    /// <summary>Reads the section; absent means off. Errors (with file/line) go to <paramref name="diagnostics"/>.</summary>
    public static SigningOptions FromSection(ArgNode? section, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        if (section is null)
        {
            return new SigningOptions();
        }

        var args = ConfigSection.Args(Section, section, diagnostics);
        if (args is null)
        {
            return new SigningOptions();
        }

        var mode = args.Choice("mode", "batched", "off", "per-frame", "batched", "epoch") switch
        {
            "off" => SigningMode.Off,
            "per-frame" => SigningMode.PerFrame,
            "epoch" => SigningMode.Epoch,
            _ => SigningMode.Batched,
        };
        var batch = (int)args.Int("batch", MaxBatch, 1, MaxBatch);
        var hold = args.DurationMicros("hold", 2_000);
        var mac = args.Choice("mac", "auto", "auto", "gmac", "chacha20-poly1305") switch
        {
            "gmac" => EpochMac.Gmac,
            "chacha20-poly1305" => EpochMac.ChaCha20Poly1305,
            _ => EpochMacs.Preferred,
        };
        var thread = args.Choice("thread", "auto", "auto", "on", "off") switch
        {
            "on" => SigningThread.On,
            "off" => SigningThread.Off,
            _ => SigningThread.Auto,
        };
        args.RejectUnknown();
        return new SigningOptions { Mode = mode, BatchSize = batch, MaxHoldMicros = hold, Mac = mac, Thread = thread };
    }
}

/// <summary>Where the live bridge tags frames: <c>auto</c> by the machine's cores, <c>on</c> a signing thread per capture thread, <c>off</c> on the capture thread.</summary>
public enum SigningThread
{
    Auto,
    On,
    Off,
}
