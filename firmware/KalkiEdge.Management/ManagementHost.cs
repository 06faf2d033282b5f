using KalkiEdge.Appliance;
using System.Diagnostics;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Assurance;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.Hypervisor;
using KalkiEdge.Management.Api;
using KalkiEdge.Management.Auth;
using KalkiEdge.Management.Live;

namespace KalkiEdge.Management;

/// <summary>
/// What runs beside the traffic in `kalki-edge run`: the management server (dashboard, API, GET /health), the operator's
/// control socket, and the systemd notifications. Started after the appliance is built and attested; READY is sent once traffic flows.
/// </summary>
public sealed class ManagementHost : IAsyncDisposable
{
    private readonly ManagementServer _server;
    private readonly OperatorApi? _operator;
    private readonly SystemdIntegration _systemd;
    private readonly ManagementContext _context;
    private readonly RegistryEvents _events;

    private ManagementHost(ManagementServer server, OperatorApi? operatorApi, SystemdIntegration systemd, ManagementContext context, RegistryEvents events)
    {
        _server = server;
        _operator = operatorApi;
        _systemd = systemd;
        _context = context;
        _events = events;
    }

    public string Address => _server.Address;

    /// <summary>Whether traffic is being handled; gates /health's status and the systemd watchdog.</summary>
    public Func<bool> Healthy { get; set; } = () => true;

    /// <summary>
    /// Starts management for <paramref name="appliance"/>, whose observer is <paramref name="hub"/>: the dashboard's
    /// live stream, its per-device activity and /metrics become sinks of that one hub. Call it before traffic
    /// flows (the hub's sinks are fixed from then on).
    /// </summary>
    public static ManagementHost? Start(EdgeAppliance appliance, ApplianceAssurance assurance, string mode, Export.Events.EventHub hub)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        ArgumentNullException.ThrowIfNull(assurance);
        ArgumentNullException.ThrowIfNull(hub);
        var diagnostics = new DiagnosticBag();
        var settings = ManagementSettings.Read(appliance.Config.Sections, diagnostics, appliance.Config.DataDir);
        if (diagnostics.HasErrors || appliance.Store is null)
        {
            foreach (var d in diagnostics.Items)
            {
                Console.Error.WriteLine(d);
            }

            Console.Error.WriteLine(appliance.Store is null ? "kalki-edge run: the management server needs the store (accounts, audit)" : "");
            return null;
        }

        // Two appliances must never share one: the operator's `reset` would reach the other one. Refused before
        // anything is served or captured, with the way out.
        if (ControlSocketPath.ServedBy(settings.ControlSocket) is { } other)
        {
            Console.Error.WriteLine($"kalki-edge run: another process ({other}) already serves the control socket {settings.ControlSocket}: " +
                "a second appliance on it would send the operator's commands to the first; stop that one, or give this one its own " +
                "(management.control-socket, or its own data-dir when not run by systemd); refusing to start");
            return null;
        }

        var started = Stopwatch.StartNew();
        ManagementHost? host = null;
        bool IsHealthy() => host?.Healthy() ?? true;
        var packs = appliance.Packs.Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        var signingMode = assurance.Services?.Signing.Mode ?? SigningMode.Off; // no hypervisor section: no signing
        var signing = new SigningHealth(AssuranceServices.ModeName(signingMode), signingMode == SigningMode.Off ? SigningOptions.OffWarning : null);
        HealthReport Report() => new(
            IsHealthy() ? "ok" : "degraded",
            FirmwareVersion.Text,
            mode,
            Hypervisor(assurance.Services?.Hypervisor),
            signing,
            packs,
            appliance.Engine.Devices.Count,
            appliance.Engine.Counters.Frames,
            Math.Round(started.Elapsed.TotalSeconds, 1));
        var context = ManagementContext.Attach(appliance, hub, new Accounts(appliance.Store.Store), Report, ImageViews.Of(appliance, assurance.Services));
        var events = new RegistryEvents(context);
        try
        {
            var server = ManagementServer.StartAsync(settings, context).GetAwaiter().GetResult();
            Console.WriteLine($"kalki-edge: management server on {server.Address} (dashboard and API; GET /health is public, everything else needs a sign-in)");
            if (context.Accounts.SetupNeeded)
            {
                Console.WriteLine($"kalki-edge: no administrator yet: create one at {server.Address}/setup?token={context.Accounts.SetupToken} (one-time setup link)");
            }

            var operatorApi = OperatorApi.StartAsync(settings.ControlSocket, context.Operator, Console.Out).GetAwaiter().GetResult();
            host = new ManagementHost(server, operatorApi, new SystemdIntegration(IsHealthy), context, events);
            return host;
        }
        catch (IOException e)
        {
            events.Dispose();
            context.Activity.Dispose();
            context.Events.Dispose();
            context.Metrics.Dispose();
            Console.Error.WriteLine($"kalki-edge run: cannot serve the management address {settings.Listen}: {e.Message}");
            return null;
        }
    }

    /// <summary>The live bridge's per-port statistics (refreshed each second by the run loop), for /metrics' capture loss.</summary>
    public void WatchPorts(Func<IReadOnlyList<DataPlane.Live.PortStatus>> ports) => _context.Metrics.WatchPorts(ports);

    /// <summary>Tells systemd the appliance is up (Type=notify).</summary>
    public void Ready(string status) => _systemd.Ready(status);

    public async ValueTask DisposeAsync()
    {
        _systemd.Stopping();
        _systemd.Dispose();
        if (_operator is not null)
        {
            await _operator.DisposeAsync().ConfigureAwait(false);
        }

        await _server.DisposeAsync().ConfigureAwait(false);
        _events.Dispose();
        _context.Activity.Dispose();
        _context.Events.Dispose();
        _context.Metrics.Dispose();
    }

    private static HypervisorHealth Hypervisor(IHypervisor? hypervisor) => hypervisor is null
        ? new HypervisorHealth("off", false, "no hypervisor section: image attestation and packet signing are off")
        : new HypervisorHealth(hypervisor.Backend.ToString().ToLowerInvariant(), hypervisor.IsHardwareProtected, hypervisor.Description);
}
