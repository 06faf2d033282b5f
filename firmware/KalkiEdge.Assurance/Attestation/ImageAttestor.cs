using KalkiEdge.Assurance.Manifest;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Attestation;

/// <summary>
/// Attests images against a verified manifest. Every attestation, passing or not, is first extended into
/// <see cref="ImagePcr"/> through the shim (measure → extend → compare, as a TPM measured boot does), so the PCR
/// records every image that was ever considered for service. Thread-safe (the shim serializes PCR calls).
/// </summary>
public sealed class ImageAttestor(IHypervisor hypervisor, ImageManifest manifest, ChainMeasurements? measurements = null) : IImageAttestor
{
    /// <summary>The PCR holding μmbox image measurements (PCR 12: unused by firmware and boot loaders by convention).</summary>
    public const int ImagePcr = 12;

    /// <summary>Version measured for images the manifest does not list at all (images start at version 1).</summary>
    private const int DefaultVersion = 1;

    private long _attested;
    private long _refused;

    public ImageManifest Manifest { get; } = manifest ?? throw new ArgumentNullException(nameof(manifest));

    /// <summary>Where passing measurements are recorded for packet signing (tags bind to the attested measurement).</summary>
    public ChainMeasurements Measurements { get; } = measurements ?? new ChainMeasurements();

    public long Attested => Interlocked.Read(ref _attested);

    public long Refused => Interlocked.Read(ref _refused);

    public AttestationResult Attest(ChainDefinition chain, string? image = null, int? version = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var name = image ?? chain.Image ?? "";
        var listed = Manifest.For(name);
        var candidates = version is { } v ? [.. listed.Where(e => e.Version == v)] : listed;

        // Without a version, each version the manifest lists for the name is tried: the measurement covers the version.
        var measuredVersion = version ?? (candidates.Count > 0 ? candidates[^1].Version : DefaultVersion);
        var measured = ImageMeasurer.Measure(name, measuredVersion, chain);
        ManifestEntry? match = null;
        foreach (var entry in candidates)
        {
            var m = entry.Version == measuredVersion ? measured : ImageMeasurer.Measure(name, entry.Version, chain);
            if (m == entry.Measurement)
            {
                (match, measured, measuredVersion) = (entry, m, entry.Version);
                break;
            }
        }

        Extend(measured);
        var expected = candidates.Select(e => e.Measurement).ToList();
        if (name.Length == 0 || match is null)
        {
            Interlocked.Increment(ref _refused);
            return new AttestationResult(false, name.Length == 0 ? "(unnamed chain)" : name, version ?? (candidates.Count > 0 ? measuredVersion : null), measured, expected);
        }

        Measurements.Record(chain, measured);
        Interlocked.Increment(ref _attested);
        return new AttestationResult(true, name, match.Version, measured, expected);
    }

    /// <summary>The control plane's deployment check: a refusal makes it deploy the fail-closed chain and raise <c>attestation-failure</c> with <paramref name="reason"/>.</summary>
    public bool Attest(string image, ChainDefinition chain, out string reason)
    {
        var result = Attest(chain, image);
        reason = result.Reason;
        return result.Allowed;
    }

    private void Extend(ImageMeasurement measured)
    {
        Span<byte> sha1 = stackalloc byte[HypervisorShim.Sha1Size];
        measured.PcrDigest(sha1);
        hypervisor.ExtendPcr(ImagePcr, sha1);
    }
}
