using KalkiEdge.DataPlane;

namespace KalkiEdge.ControlPlane;

/// <summary>
/// Checks an image before it is put in service (measured against a signed manifest — the hypervisor issue provides
/// the real one). Returns false with a reason to refuse the image.
/// </summary>
public interface IImageAttestor
{
    bool Attest(string image, ChainDefinition chain, out string reason);
}
