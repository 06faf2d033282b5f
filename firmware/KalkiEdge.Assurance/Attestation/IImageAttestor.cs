using KalkiEdge.DataPlane;

namespace KalkiEdge.Assurance.Attestation;

/// <summary>
/// Checks an image before it is put in service: measure, extend into a PCR, compare with the signed manifest.
/// Called at load and before every deployment (the control plane's deployment hook adapts to this).
/// </summary>
public interface IImageAttestor
{
    /// <param name="chain">The compiled image (its text and every file its elements loaded).</param>
    /// <param name="image">Image name; defaults to <see cref="ChainDefinition.Image"/>.</param>
    /// <param name="version">Image version; when null, any version the manifest lists for the name may match.</param>
    AttestationResult Attest(ChainDefinition chain, string? image = null, int? version = null);
}
