using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Images;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Appliance;

/// <summary>
/// The chain a configured device starts with: its own chain text, a named image, or none for a typed device (the
/// control plane chooses by state). Devices with identical chain text share one validated definition (10,000
/// devices, one compile).
/// </summary>
internal sealed class DeviceChainResolver(ChainCompiler compiler, ImageCatalog images, Func<IReadOnlyList<DeviceTypePack>> packsInForce)
{
    private readonly Dictionary<string, ChainDefinition> _chainCache = new(StringComparer.Ordinal);

    public ChainDefinition? Resolve(DeviceConfig device, DiagnosticBag diagnostics)
    {
        if (device.Chain is { } text)
        {
            if (!_chainCache.TryGetValue(text, out var cached) && compiler.Compile(text, device.ChainAt, diagnostics) is { } compiled)
            {
                _chainCache[text] = cached = compiled;
            }

            return cached;
        }

        if (device.Image is { } name)
        {
            if (images.TryGet(name, out var image))
            {
                return image.Chain;
            }

            diagnostics.Error(device.ChainAt, $"device '{device.Name}': no μmbox image named '{name}' (known: {string.Join(", ", images.All.Select(i => i.Name).Order(StringComparer.Ordinal))})");
            return null;
        }

        var packs = packsInForce(); // an imported type is known from its import on
        if (device.Type is null || packs.Any(p => p.Name == device.Type))
        {
            // No type: the config loader already said that one of type/image/chain is needed. A known type: the
            // control plane chooses the chain by state.
            return null;
        }

        diagnostics.Error(device.ChainAt, $"device '{device.Name}': device type '{device.Type}' is not known (packs: {string.Join(", ", packs.Select(p => p.Name).Order(StringComparer.Ordinal))})");
        return null;
    }
}
