using System.Runtime.InteropServices;
using KalkiEdge.Appliance;
using KalkiEdge.Core;
using KalkiEdge.Export;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;
using KalkiEdge.Export.Fleet;
using KalkiEdge.Panel.Pairing;
using KalkiEdge.Store;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// <c>run</c> with a site config: the <c>eve:</c> section's sinks and the <c>fleet:</c> section's MQTT publisher
/// behind the appliance's event hub, and SIGHUP reopening the EVE file (<c>systemctl reload</c>, logrotate's
/// postrotate), as Suricata does.
/// </summary>
internal sealed class EventExport : IDisposable
{
    private readonly ExportPipeline _pipeline;
    private readonly FleetPublisher? _fleet;
    private readonly PosixSignalRegistration _hangup;

    private EventExport(ExportPipeline pipeline, FleetPublisher? fleet)
    {
        _pipeline = pipeline;
        _fleet = fleet;
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // reopen, never terminate
            _pipeline.Reopen();
        });
    }

    /// <summary>Null after printing why (a bad <c>eve:</c> or <c>fleet:</c> section, an EVE file or certificate that cannot be opened).</summary>
    public static EventExport? Start(EdgeAppliance appliance, EventHub hub, ILoggerFactory logging)
    {
        var diagnostics = new DiagnosticBag();
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(appliance.Config.File))!;
        var settings = EveSettings.FromSection(appliance.Config.Sections.GetValueOrDefault(EveSettings.Section), baseDir, diagnostics);
        var fleetSection = appliance.Config.Sections.GetValueOrDefault(FleetSettings.Section);
        var fleet = FleetSettings.FromSection(fleetSection, baseDir, diagnostics);
        if (settings is null || (fleetSection is not null && fleet is null))
        {
            foreach (var d in diagnostics.Items)
            {
                Console.Error.WriteLine(d);
            }

            return null;
        }

        FleetPublisher? publisher = null;
        try
        {
            if (fleet is not null && appliance.Store is { } store)
            {
                publisher = new FleetPublisher(fleet, FleetOutbox.Open(store.Store.Path, fleet.QueueLimit), new FleetOperations(appliance), logging.CreateLogger("KalkiEdge.Fleet"));
                hub.Add(publisher); // before the hub is bound: events held while the appliance was built reach the fleet too
            }

            var pipeline = new ExportPipeline(hub, settings, logging);
            pipeline.Bind(appliance.Control.Devices, appliance.Engine.Devices);
            return new EventExport(pipeline, publisher);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or Microsoft.Data.Sqlite.SqliteException)
        {
            publisher?.Dispose();
            Console.Error.WriteLine($"kalki-edge run: {(publisher is null && fleet is not null ? "fleet" : "eve")}: {e.Message}");
            return null;
        }
    }

    /// <summary>Pairing results (the panel's) become events for every sink.</summary>
    public void Attach(DevicePairing? pairing, EdgeAppliance appliance)
    {
        if (pairing is not null)
        {
            pairing.Paired += result => _pipeline.Hub.OnPaired(result, appliance.Clock.NowMicros);
            pairing.Cancelled += _pipeline.Hub.OnPairingCancelled;
        }
    }

    /// <summary>The hub's queued events reach the sinks; from now on they get events on the caller's thread.</summary>
    public void StopEvents() => _pipeline.StopDispatching();

    public void Dispose()
    {
        _hangup.Dispose();
        StopEvents(); // before any sink closes
        _fleet?.Dispose();
        _pipeline.Dispose();
    }
}
