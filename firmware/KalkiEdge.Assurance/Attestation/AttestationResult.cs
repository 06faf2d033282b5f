using KalkiEdge.Assurance.Measurement;

namespace KalkiEdge.Assurance.Attestation;

/// <summary>
/// The outcome of attesting one image: whether it may run, what was measured and what the signed manifest
/// allows. On failure the caller deploys the fail-closed chain and raises <c>attestation-failure</c> with <see cref="Reason"/>.
/// </summary>
public sealed record AttestationResult(bool Allowed, string Image, int? Version, ImageMeasurement Measured, IReadOnlyList<ImageMeasurement> Expected)
{
    /// <summary>One line naming the image and both hashes (the alert info).</summary>
    public string Reason => Allowed
        ? $"image '{Image}'{VersionText} measured {Measured}: listed in the signed manifest"
        : Expected.Count == 0
            ? $"image '{Image}'{VersionText} measured {Measured}, expected: none (not listed in the signed manifest)"
            : $"image '{Image}'{VersionText} measured {Measured}, expected {string.Join(" or ", Expected)}";

    private string VersionText => Version is { } v ? $" v{v}" : "";

    public override string ToString() => Reason;
}
