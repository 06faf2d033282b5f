using System.Runtime.InteropServices;
using KalkiEdge.Appliance;
using KalkiEdge.Core;
using KalkiEdge.Export;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// <c>run</c> with a site config: the <c>eve:</c> section's sinks behind the appliance's event hub, and SIGHUP
/// reopening the EVE file (<c>systemctl reload</c>, logrotate's postrotate), as Suricata does.
/// </summary>
internal sealed class EventExport : IDisposable
{
    private readonly ExportPipeline _pipeline;
    private readonly PosixSignalRegistration _hangup;

    private EventExport(ExportPipeline pipeline)
    {
        _pipeline = pipeline;
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // reopen, never terminate
            _pipeline.Reopen();
        });
    }

    /// <summary>Null after printing why (a bad <c>eve:</c> section, an EVE file that cannot be opened).</summary>
    public static EventExport? Start(EdgeAppliance appliance, EventHub hub, ILoggerFactory logging)
    {
        var diagnostics = new DiagnosticBag();
        var settings = EveSettings.FromSection(appliance.Config.Sections.GetValueOrDefault(EveSettings.Section),
            Path.GetDirectoryName(Path.GetFullPath(appliance.Config.File))!, diagnostics);
        if (settings is null)
        {
            foreach (var d in diagnostics.Items)
            {
                Console.Error.WriteLine(d);
            }

            return null;
        }

        try
        {
            var pipeline = new ExportPipeline(hub, settings, logging);
            pipeline.Bind(appliance.Control.Devices, appliance.Engine.Devices);
            return new EventExport(pipeline);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"kalki-edge run: eve: {e.Message}");
            return null;
        }
    }

    public void Dispose()
    {
        _hangup.Dispose();
        _pipeline.Dispose();
    }
}
