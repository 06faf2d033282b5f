using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Appliance.Images;
using KalkiEdge.Appliance.Packs;
using KalkiEdge.Appliance.Registry;
using KalkiEdge.ControlPlane;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel;
using KalkiEdge.Panel.Fingerprinting;
using KalkiEdge.Panel.Mud;
using KalkiEdge.Panel.Pairing;
using KalkiEdge.Store;
using KalkiEdge.Umboxes;

namespace KalkiEdge.Appliance;

/// <summary>
/// The composition root of the engine: element library, chain compiler, images, the alert queue, control plane,
/// packet engine and devices, wired from a validated site configuration. Alerts go one way: elements and the
/// engine raise them into <see cref="Alerts"/>, the control plane drains it; μmbox logs flow out to the observer.
/// </summary>
public sealed class EdgeAppliance : IUmboxLogSink, IDisposable
{
    /// <summary>The pack a paired device gets when no family is recognised with enough confidence.</summary>
    public const string GenericPack = "generic-iot";

    private readonly IApplianceObserver _observer;

    // Deployments are attested once the high-assurance services start (before any traffic); until then, and
    // on sites without a hypervisor section, images pass unchecked (and the start-up says so loudly).
    private readonly DeferredAttestor _attestor;

    private EdgeAppliance(SiteConfig config, ChainCompiler compiler, ImageCatalog images, IApplianceObserver observer, IReadOnlyList<DeviceTypePack> packs,
        FrameClock clock, DeferredAttestor attestor, AlertQueue alerts, SecurityController control, PersistentStore? store, DeviceChainResolver resolver)
    {
        Resolver = resolver;
        Config = config;
        Compiler = compiler;
        Images = images;
        _packs = packs;
        _observer = observer;
        Clock = clock;
        _attestor = attestor;
        Alerts = alerts;
        Control = control;
        Store = store;
        Engine = new PacketEngine(alerts, config.UnknownDevices);
    }

    /// <summary>The device-type packs in force (replaced whole when one is edited at run time: readers see one version).</summary>
    public IReadOnlyList<DeviceTypePack> Packs
    {
        get => _packs;
        internal set => _packs = value;
    }

    private volatile IReadOnlyList<DeviceTypePack> _packs;

    /// <summary>Where every alert goes: the engine's and the elements' sink, drained by <see cref="Control"/>.</summary>
    public AlertQueue Alerts { get; }

    /// <summary>The control plane: evaluates <see cref="Alerts"/>; it owns typed devices' chains.</summary>
    public SecurityController Control { get; }

    /// <summary>Frame time plus compute: the control plane's clock.</summary>
    public FrameClock Clock { get; }

    /// <summary>The store when persisting (live runs); replay runs in memory.</summary>
    public PersistentStore? Store { get; }

    /// <summary>Security state of a device under a pack's policy, null for devices with a fixed chain.</summary>
    public static string? StateOf(DeviceSlot device) => (device.ControlState as ControlledDevice)?.State;

    /// <summary>Pairing of new devices (the panel's button, or replay's --pair-window); null when off.</summary>
    public DevicePairing? Pairing { get; private set; }

    /// <summary>Whether paired devices' MUD files can be read (the site config's <c>panel.mud</c>: a folder or fetching).</summary>
    public bool ResolvesMud { get; private set; }

    /// <summary>Before a frame enters the engine: its capture time is the control clock's base.</summary>
    public void BeginFrame(long captureMicros) => Clock.OnFrame(captureMicros);

    /// <summary>
    /// As <see cref="BeginFrame"/>, before a frame an engine thread processed is merged (sharded replay): its alerts are
    /// queued by then, so when the control plane has no work (<see cref="SecurityController.HasWork"/>) nothing times
    /// the merge and the clock is not read (per frame, a large share of the merge's cost); a reading that still comes
    /// starts the frame's compute time (<see cref="FrameClock.OnFrameUntimed"/>). The clock is the one holder of the
    /// frame's time.
    /// </summary>
    public void BeginMerge(long captureMicros)
    {
        if (Control.HasWork)
        {
            BeginFrame(captureMicros);
            return;
        }

        Clock.OnFrameUntimed(captureMicros);
    }

    /// <summary>
    /// After a frame: admit the pairing candidates that are decided (their chain is in force from their next
    /// frame), then evaluate the frame's alerts, so transitions are timed exactly as live.
    /// </summary>
    public void EndFrame()
    {
        // Per frame: a field read decides; the call is made only while candidates wait.
        if (Pairing is { HasCandidates: true } pairing)
        {
            pairing.Settle(Clock.FrameMicros);
        }

        Control.Drain();
    }

    /// <summary>
    /// Turns pairing on: unknown MACs first seen on the device side while a window is open become candidates,
    /// fingerprinted against the families whose packs are loaded; below the confidence threshold, generic-iot.
    /// </summary>
    /// <param name="mud">Where announced MUD files come from; null: MUD URLs are only recorded as evidence.</param>
    /// <param name="log">Where MUD results and refusals are said (with <paramref name="mud"/>).</param>
    /// <param name="resolveMudInline">Replay: MUD files are resolved in the frame loop (see <see cref="MudAdmission"/>).</param>
    public DevicePairing EnablePairing(PairingSettings settings, MudSource? mud = null, Action<string>? log = null, bool resolveMudInline = false)
    {
        var families = FamilySignature.Shipped.Where(f => Control.HasType(f.Pack)).ToList();
        var fingerprinter = new Fingerprinter(families, OuiTable.Shipped, GenericPack, settings.ConfidenceThreshold);
        IDeviceAdmission admission = new RegistryAdmission(Registry);
        if (mud is not null)
        {
            admission = new MudAdmission(admission, mud, this, log ?? (_ => { }), resolveMudInline);
        }

        ResolvesMud = mud is not null;

        Pairing = new DevicePairing(settings, fingerprinter, admission, Alerts);
        Engine.UnknownSources = Pairing;
        return Pairing;
    }

    /// <summary>Stops the control plane and commits what the store writer still holds.</summary>
    public void Dispose()
    {
        Control.Dispose();
        Store?.Dispose();
    }

    public SiteConfig Config { get; }

    public ChainCompiler Compiler { get; }

    public ImageCatalog Images { get; }

    public PacketEngine Engine { get; }

    /// <summary>Validates everything and builds the appliance; null with every error in <paramref name="diagnostics"/>.</summary>
    public static EdgeAppliance? Build(SiteConfig config, DiagnosticBag diagnostics, IApplianceObserver observer, bool persist = false)
    {
        if (persist)
        {
            // Before the packs and the store are read: a restored site's edited packs are loaded like any others.
            Backup.SiteRestore.ApplyPending(config.DataDir, Console.Error.WriteLine);
        }

        var compiler = new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(Path.Combine(config.UmboxesDir, "rules")));
        var images = ImageCatalog.Load(Path.Combine(config.UmboxesDir, "images"), compiler, diagnostics);
        var packs = ControlWiring.LoadPacks(config.UmboxesDir, config.DataDir, images, diagnostics);
        var broadcast = compiler.Compile(config.NetworkBroadcastChain, config.NetworkBroadcastAt, diagnostics);
        EdgeAppliance? appliance = null;
        var resolver = new DeviceChainResolver(compiler, images, () => appliance?.Packs ?? packs);
        var chains = config.Devices.Select(d => (Device: d, Chain: resolver.Resolve(d, diagnostics))).ToList();
        var monitored = MonitorWiring.Compile(config, packs, diagnostics);
        var sensors = SensorWiring.Compile(config, packs, diagnostics);
        var cameraEvents = Devices.Camera.CameraEventSettings.Read(config.Sections, diagnostics);
        var engineThreads = EngineSettings.ReadThreads(config.Sections, diagnostics);
        if (diagnostics.HasErrors)
        {
            // Any error so far, including the config's own, stops the build: never run half a configuration.
            return null;
        }

        if (persist)
        {
            SiteDataReset.ApplyPending(config.DataDir, Console.Error.WriteLine);
        }

        // The alert queue comes first: the control plane drains it and the engine is built raising into it.
        var clock = new FrameClock();
        var store = persist
            ? PersistentStore.Open(config.DataDir, packs, images, config.Devices.Select(d => new DeviceRecord(d.Name, d.Type, Mac.Format(d.Mac), [.. d.Ips.ToArray().Select(Ip.Format)], d.Group, d.Description)), clock)
            : null;
        var attestor = new DeferredAttestor();
        var alerts = new AlertQueue();
        var control = ControlWiring.Create(packs, compiler, images, clock, observer, store, attestor, alerts);
        appliance = new EdgeAppliance(config, compiler, images, observer, packs, clock, attestor, alerts, control, store, resolver);
        if (broadcast is not null)
        {
            appliance.Engine.Network.Swap(broadcast.Instantiate());
        }

        foreach (var (device, chain) in chains)
        {
            appliance.Engine.Devices.Add(appliance.CreateSlot(device, chain));
        }

        appliance.Registry = DeviceRegistry.Open(appliance);
        appliance.Monitored = monitored;
        appliance.Sensors = sensors;
        appliance.CameraEvents = cameraEvents;
        appliance.EngineThreads = engineThreads;
        appliance.PackEditor = new PackEditor(appliance);
        return appliance;
    }

    /// <summary>The devices kalki.yaml gives a monitor (polled once <see cref="MonitorWiring.Start"/> runs).</summary>
    public IReadOnlyList<Devices.Monitoring.MonitoredDevice> Monitored { get; private set; } = [];

    /// <summary>The appliance's own sensors with the devices they report to (read once <see cref="SensorWiring.Start"/> runs).</summary>
    public IReadOnlyList<Devices.Onboard.AttachedSensor> Sensors { get; private set; } = [];

    /// <summary>The ports cameras push motion events to, as kalki.yaml's <c>camera-events:</c> sets them.</summary>
    public Devices.Camera.CameraEventPorts CameraEvents { get; private set; } = Devices.Camera.CameraEventPorts.Unset;

    /// <summary>Engine threads a replay spreads devices over (kalki.yaml's <c>engine: { threads: N }</c>).</summary>
    public int EngineThreads { get; private set; } = 1;

    /// <summary>Devices added, edited and deleted at run time (loaded from the store after kalki.yaml's).</summary>
    public DeviceRegistry Registry { get; private set; } = null!;

    /// <summary>Edits of a device type's pack at run time (checked, kept in the data directory, in force at once).</summary>
    public PackEditor PackEditor { get; private set; } = null!;

    /// <summary>Resolves a device's chain text or image (the registry checks run-time devices with it too).</summary>
    internal DeviceChainResolver Resolver { get; }

    /// <summary>
    /// A device's slot with its defense in force before any frame can reach it: the chain's instance, or (typed
    /// device) the chain of its state — <paramref name="state"/> when given, else its committed or initial state.
    /// </summary>
    internal DeviceSlot CreateSlot(DeviceConfig device, ChainDefinition? chain, string? state = null)
    {
        var slot = new DeviceSlot(device.Name, device.Mac, device.Ips);
        if (chain is null)
        {
            Control.Register(slot, device.Type!, device.Group, state: state);
        }
        else
        {
            slot.Swap(chain.Instantiate());
        }

        return slot;
    }

    /// <summary>
    /// A runtime device's MUD file from the store (null: none) in force again, as when it paired; what happened is
    /// said through <paramref name="log"/>. A file that no longer applies leaves its pack's allow-list in force.
    /// </summary>
    internal void ApplyStoredMud(string device, string? pack, Store.RuntimeDeviceMud? mud, Action<string> log)
    {
        if (mud is null || pack is null)
        {
            return;
        }

        try
        {
            var file = MudFile.Parse(System.Text.Encoding.UTF8.GetBytes(mud.File), $"the store's MUD file of {device}");
            log(file.Url == mud.Url
                ? MudDeployment.Apply(this, device, pack, file, log).Said
                : $"mud {mud.Url}: the store's file is for {file.Url}; not used, the pack's allow-list stays in force");
        }
        catch (MudException e)
        {
            log($"mud {mud.Url}: the store's file is refused: {e.Message}; the pack's allow-list stays in force");
        }
    }

    /// <summary>Says <paramref name="message"/> in a device's log, timed now.</summary>
    internal void LogNow(string device, string element, string message) => Log(device, element, NowMicros(), message);

    private static long NowMicros() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    /// <summary>Attests an image chain now (run-time additions: refused rather than deployed when it fails).</summary>
    internal bool Attest(ChainDefinition chain, out string reason) => _attestor.Attest(chain.Image ?? "", chain, out reason);

    /// <summary>From now on every deployment is attested by <paramref name="attestor"/> (make-before-break, fail-closed).</summary>
    public void UseAttestor(IImageAttestor attestor) => _attestor.Inner = attestor;

    /// <summary>One per processing thread.</summary>
    public ElementContext CreateContext() => new(Alerts, this);

    public void Log(string device, string element, long timeMicros, string message) =>
        _observer.OnUmboxLog(device, element, timeMicros, message);
}
