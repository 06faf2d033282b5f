namespace KalkiEdge.DataPlane;

/// <summary>
/// Checks an image before it is put in service: at load and before every deployment. The high-assurance module
/// implements it by measuring the image against the signed manifest; until that is attached (and on sites without
/// a <c>hypervisor</c> section) every image passes. Returns false with a reason to refuse the image.
/// </summary>
public interface IImageAttestor
{
    bool Attest(string image, ChainDefinition chain, out string reason);
}
