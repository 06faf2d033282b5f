using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Images;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes;

namespace KalkiEdge.Appliance;

/// <summary>
/// The composition root of the engine: element library, chain compiler, images, packet engine and devices,
/// wired from a validated site configuration. Alerts and μmbox logs flow out to the observer.
/// </summary>
public sealed class Appliance : IAlertSink, IUmboxLogSink
{
    private readonly IApplianceObserver _observer;

    private Appliance(SiteConfig config, ChainCompiler compiler, ImageCatalog images, IApplianceObserver observer)
    {
        Config = config;
        Compiler = compiler;
        Images = images;
        _observer = observer;
        Engine = new PacketEngine(this, config.UnknownDevices);
    }

    public SiteConfig Config { get; }

    public ChainCompiler Compiler { get; }

    public ImageCatalog Images { get; }

    public PacketEngine Engine { get; }

    /// <summary>Validates everything and builds the appliance; null with every error in <paramref name="diagnostics"/>.</summary>
    public static Appliance? Build(SiteConfig config, DiagnosticBag diagnostics, IApplianceObserver observer)
    {
        var compiler = new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(Path.Combine(config.UmboxesDir, "rules")));
        var images = ImageCatalog.Load(Path.Combine(config.UmboxesDir, "images"), compiler, diagnostics);
        var appliance = new Appliance(config, compiler, images, observer);
        var broadcast = compiler.Compile(config.NetworkBroadcastChain, config.NetworkBroadcastAt, diagnostics);
        if (broadcast is not null)
        {
            appliance.Engine.Network.Swap(broadcast.Instantiate());
        }

        var chains = config.Devices.Select(d => (Device: d, Chain: appliance.ResolveChain(d, diagnostics))).ToList();
        if (diagnostics.HasErrors)
        {
            // Any error so far, including the config's own, stops the build: never run half a configuration.
            return null;
        }

        foreach (var (device, chain) in chains)
        {
            var slot = new DeviceSlot(device.Name, device.Mac, device.Ips);
            slot.Swap(chain!.Instantiate());
            appliance.Engine.Devices.Add(slot);
        }

        return appliance;
    }

    /// <summary>One per processing thread.</summary>
    public ElementContext CreateContext() => new(this, this);

    public void Raise(Alert alert) => _observer.OnAlert(alert);

    public void Log(string device, string element, long timeMicros, string message) =>
        _observer.OnUmboxLog(device, element, timeMicros, message);

    private ChainDefinition? ResolveChain(DeviceConfig device, DiagnosticBag diagnostics)
    {
        if (device.Chain is { } text)
        {
            return Compiler.Compile(text, device.ChainAt, diagnostics);
        }

        if (device.Image is { } name)
        {
            if (Images.TryGet(name, out var image))
            {
                return image.Chain;
            }

            diagnostics.Error(device.At, $"device '{device.Name}': no μmbox image named '{name}' (known: {string.Join(", ", Images.All.Select(i => i.Name).Order(StringComparer.Ordinal))})");
            return null;
        }

        if (device.Type is null)
        {
            return null; // the config loader already said that one of type/image/chain is needed
        }

        diagnostics.Error(device.At, $"device '{device.Name}': device type '{device.Type}' is not known (no device-type packs are loaded)");
        return null;
    }
}
