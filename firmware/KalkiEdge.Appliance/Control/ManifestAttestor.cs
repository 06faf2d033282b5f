using KalkiEdge.Assurance.Attestation;
using KalkiEdge.ControlPlane;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// The control plane's deployment hook backed by the signed manifest: pass it to <see cref="ChainDeployer"/> so
/// every deployment is measured, extended into the image PCR and checked against the signed manifest. A refusal makes the deployer
/// install the fail-closed chain and raise <c>attestation-failure</c> with the image and both hashes.
/// </summary>
public sealed class ManifestAttestor(ImageAttestor attestor) : KalkiEdge.ControlPlane.IImageAttestor
{
    public bool Attest(string image, ChainDefinition chain, out string reason) => attestor.Attest(image, chain, out reason);
}
