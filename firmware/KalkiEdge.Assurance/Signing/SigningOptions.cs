using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Signing;

/// <summary>Site config <c>signing: { mode: off|per-frame|batched|epoch, batch: 50, hold: 2ms, mac: auto|gmac|chacha20-poly1305 }</c> (batch and hold: batched mode; mac: epoch mode).</summary>
public sealed class SigningOptions
{
    /// <summary>Largest batch: 50 SHA-256 digests fill the 1600-byte uhsign buffer.</summary>
    public const int MaxBatch = HypervisorShim.MaxHmacInput / PacketBinding.DigestSize;

    public const string Section = "signing";

    public SigningMode Mode { get; init; } = SigningMode.Off;

    public int BatchSize { get; init; } = MaxBatch;

    /// <summary>Epoch mode's per-frame MAC; <c>auto</c> is <see cref="EpochMacs.Preferred"/> for this CPU.</summary>
    public EpochMac Mac { get; init; } = EpochMacs.Preferred;

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
        args.RejectUnknown();
        return new SigningOptions { Mode = mode, BatchSize = batch, MaxHoldMicros = hold, Mac = mac };
    }
}
