using KalkiEdge.DataPlane;

namespace KalkiEdge.ControlPlane;

/// <summary>
/// One device's own change to the chain its pack gives one of its states (a MUD file's allow-list in place of the
/// pack's). The image is attested as shipped before <see cref="Apply"/> sees it; the overlay changes element
/// arguments, never which elements run.
/// </summary>
public interface IChainOverlay
{
    /// <summary>The state whose chain it changes.</summary>
    string State { get; }

    /// <summary>The device's chain: <paramref name="image"/> with the change applied (a new definition; the image's is shared).</summary>
    ChainDefinition Apply(ChainDefinition image);
}
