using KalkiEdge.DataPlane;

namespace KalkiEdge.ControlPlane;

/// <summary>
/// Accepts every image: in force until the high-assurance services attach the manifest attestor, and for good on
/// sites without a <c>hypervisor</c> section (start-up then warns that attestation is off).
/// </summary>
public sealed class PassThroughAttestor : IImageAttestor
{
    public bool Attest(string image, ChainDefinition chain, out string reason)
    {
        reason = "";
        return true;
    }
}
