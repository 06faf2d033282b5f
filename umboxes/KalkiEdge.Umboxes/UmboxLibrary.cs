using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;

namespace KalkiEdge.Umboxes;

/// <summary>
/// The element library: every μmbox element by name. Element families register themselves in their own
/// partial file (network-layer, IPS, application-layer) so each family stays in one place.
/// </summary>
public static partial class UmboxLibrary
{
    public static ElementRegistry CreateRegistry()
    {
        var registry = new ElementRegistry();
        RegisterBasics(registry);
        RegisterNetwork(registry);
        RegisterIps(registry);
        RegisterApplication(registry);
        return registry;
    }

    private static void RegisterBasics(ElementRegistry registry) => registry
        .Add("block-all", "drops every frame (the fail-closed chain)", BlockAll.Compile, "block-all")
        .Add("pass", "forwards every frame (for measurements and explicit pass-through chains)", Pass.Compile, "pass");

    static partial void RegisterNetwork(ElementRegistry registry);

    static partial void RegisterIps(ElementRegistry registry);

    static partial void RegisterApplication(ElementRegistry registry);
}
