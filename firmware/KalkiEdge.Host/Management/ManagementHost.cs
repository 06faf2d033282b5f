using KalkiEdge.Appliance;
using System.Diagnostics;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Assurance;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Host.Management;

/// <summary>
/// What runs beside the traffic in `kalki-edge run`: the management server (GET /health), the operator's
/// control socket, and the systemd notifications. Started after the appliance is built and attested; READY is sent once traffic flows.
/// </summary>
internal sealed class ManagementHost : IAsyncDisposable
{
    private readonly ManagementServer _server;
    private readonly OperatorApi? _operator;
    private readonly SystemdIntegration _systemd;

    private ManagementHost(ManagementServer server, OperatorApi? operatorApi, SystemdIntegration systemd)
    {
        _server = server;
        _operator = operatorApi;
        _systemd = systemd;
    }

    public string Address => _server.Address;

    /// <summary>Whether traffic is being handled; gates /health's status and the systemd watchdog.</summary>
    public Func<bool> Healthy { get; set; } = () => true;

    /// <summary>Null after printing why (bad management section, address in use).</summary>
    public static ManagementHost? Start(EdgeAppliance appliance, ApplianceAssurance assurance, string mode)
    {
        var diagnostics = new DiagnosticBag();
        var settings = ManagementSettings.Read(appliance.Config.Sections, diagnostics);
        if (diagnostics.HasErrors)
        {
            foreach (var d in diagnostics.Items)
            {
                Console.Error.WriteLine(d);
            }

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
        try
        {
            var server = ManagementServer.StartAsync(settings.Listen, Report).GetAwaiter().GetResult();
            Console.WriteLine($"kalki-edge: management server on {server.Address} (GET /health)");
            var operatorApi = OperatorApi.StartAsync(settings.ControlSocket, new OperatorActions(appliance), Console.Out).GetAwaiter().GetResult();
            host = new ManagementHost(server, operatorApi, new SystemdIntegration(IsHealthy));
            return host;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"kalki-edge run: cannot serve the management address {settings.Listen}: {e.Message}");
            return null;
        }
    }

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
    }

    private static HypervisorHealth Hypervisor(IHypervisor? hypervisor) => hypervisor is null
        ? new HypervisorHealth("off", false, "no hypervisor section: image attestation and packet signing are off")
        : new HypervisorHealth(hypervisor.Backend.ToString().ToLowerInvariant(), hypervisor.IsHardwareProtected, hypervisor.Description);
}
