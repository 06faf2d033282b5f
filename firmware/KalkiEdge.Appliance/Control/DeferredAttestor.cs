using KalkiEdge.ControlPlane;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// The control plane is built before the hypervisor shim is opened; this attestor lets the real one be attached
/// afterwards (before any traffic), so the deployer never needs rebuilding.
/// </summary>
internal sealed class DeferredAttestor : IImageAttestor
{
    private static readonly PassThroughAttestor Unchecked = new();
    private volatile IImageAttestor _inner = Unchecked;

    public IImageAttestor Inner
    {
        get => _inner;
        set => _inner = value;
    }

    public bool Attest(string image, ChainDefinition chain, out string reason) => _inner.Attest(image, chain, out reason);
}
