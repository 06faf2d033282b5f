using KalkiEdge.Appliance.Images;
using KalkiEdge.ControlPlane;
using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.Store;

namespace KalkiEdge.Appliance.Control;

/// <summary>Images of the catalog as the control plane's deployment source (already compiled and validated).</summary>
public sealed class CatalogImageSource(ImageCatalog catalog) : IImageSource
{
    public string? ChainText(string image) => catalog.TryGet(image, out var i) ? i.Chain.Text : null;

    public ChainDefinition? Compile(string image, DiagnosticBag diagnostics)
    {
        if (catalog.TryGet(image, out var i))
        {
            return i.Chain;
        }

        diagnostics.Error(SourceSpan.None(image), $"no μmbox image named '{image}'");
        return null;
    }
}

/// <summary>
/// Wires the control plane into the appliance: loads and checks the device-type packs (umboxes/packs), builds the
/// controller with its deployer, and — when persisting — the store, its writer and the committed device states.
/// </summary>
public static class ControlWiring
{
    public const string StoreFileName = "kalki-edge.db";

    /// <summary>The shipped packs, each replaced by its edited version from <paramref name="dataDir"/> when there is one, checked together.</summary>
    public static IReadOnlyList<DeviceTypePack> LoadPacks(string umboxesDir, string dataDir, ImageCatalog images, DiagnosticBag diagnostics)
    {
        var dir = Path.Combine(umboxesDir, "packs");
        if (!Directory.Exists(dir))
        {
            return [];
        }

        var packs = Packs.EditedPacks.Overlay(PackLoader.LoadDirectory(dir, diagnostics), dataDir, diagnostics);
        PackChecker.Check(packs, name => images.TryGet(name, out var i) ? i.Chain.Text : null, diagnostics);
        PackMonitorArgs.Check(MonitorLibrary.CreateRegistry(), packs, diagnostics);
        return packs;
    }

    public static SecurityController Create(
        IReadOnlyList<DeviceTypePack> packs,
        ChainCompiler compiler,
        ImageCatalog images,
        IControlClock clock,
        IApplianceObserver observer,
        PersistentStore? store,
        IImageAttestor attestor,
        AlertQueue alerts)
    {
        var diagnostics = new DiagnosticBag();
        var failClosed = compiler.Compile(ChainDeployer.FailClosedImage, SourceSpan.None("(fail-closed chain)"), diagnostics)
            ?? throw new ConfigurationException(diagnostics.Items);
        var controller = new SecurityController(packs, new ChainDeployer(new CatalogImageSource(images), failClosed, attestor), clock,
            store?.Writer, store?.Committed, alerts: alerts);
        controller.AlertEvaluated += observer.OnAlert;
        controller.Transitioned += observer.OnTransition;
        return controller;
    }
}

/// <summary>The opened store, its writer and the device states committed before this start.</summary>
public sealed class PersistentStore : IDisposable
{
    private PersistentStore(KalkiStore store, StoreWriter writer, IReadOnlyDictionary<string, CommittedDeviceState> committed)
    {
        Store = store;
        Writer = writer;
        Committed = committed;
    }

    public KalkiStore Store { get; }

    public StoreWriter Writer { get; }

    public IReadOnlyDictionary<string, CommittedDeviceState> Committed { get; }

    public static PersistentStore Open(string dataDir, IReadOnlyList<DeviceTypePack> packs, ImageCatalog images, IEnumerable<DeviceRecord> devices, IControlClock clock)
    {
        var store = KalkiStore.Open(Path.Combine(dataDir, ControlWiring.StoreFileName));
        store.SyncCatalog(packs, images.All.Select(i => (i.Name, i.Version, i.Chain.Text, "")));
        store.SyncDevices(devices);
        var committed = store.LoadDeviceStates();
        return new PersistentStore(store, new StoreWriter(store, () => clock.NowMicros), committed);
    }

    public void Dispose()
    {
        Writer.Dispose();
        Store.Dispose();
    }
}
