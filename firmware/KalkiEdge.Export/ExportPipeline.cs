using KalkiEdge.ControlPlane;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;
using KalkiEdge.Export.Logging;
using KalkiEdge.Export.Syslog;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Export;

/// <summary>
/// The sinks a running appliance exports to, made from its <c>eve:</c> settings: the journal (always, through
/// <paramref name="logging"/>), the EVE file and remote syslog when configured. The hub was given to the appliance
/// as its observer before it was built (it holds what happened meanwhile); <see cref="Bind"/> it once built,
/// <see cref="Reopen"/> on SIGHUP, dispose at the end (what is queued is written first).
/// </summary>
public sealed class ExportPipeline : IDisposable
{
    private readonly ILogger _log;
    private bool _lossesLogged;

    public ExportPipeline(EventHub hub, EveSettings settings, ILoggerFactory logging)
    {
        Hub = hub;
        _log = logging.CreateLogger("KalkiEdge.Export");
        Hub.Add(new JournalEventSink(logging.CreateLogger("KalkiEdge.Events"), settings.Journal));
        if (settings.File is { } file)
        {
            File = new EveFileSink(file);
            Hub.Add(File);
        }

        if (settings.Syslog is { } syslog)
        {
            Syslog = new SyslogSink(syslog, logging.CreateLogger("KalkiEdge.Syslog"));
            Hub.Add(Syslog);
        }
    }

    public EventHub Hub { get; }

    public EveFileSink? File { get; }

    public SyslogSink? Syslog { get; }

    public void Bind(IReadOnlyDictionary<string, ControlledDevice> controlled, DeviceTable devices)
    {
        Hub.Bind(controlled, devices);
        if (File is not null)
        {
            ExportLog.EveFile(_log, File.Path);
        }
    }

    /// <summary>SIGHUP: the EVE file is closed and reopened (after an external rotation).</summary>
    public void Reopen()
    {
        if (File is not null)
        {
            File.Reopen();
            ExportLog.Reopening(_log, File.Path);
        }
    }

    /// <summary>
    /// Ends the hub's own thread (<see cref="EventHub.StartDispatching"/>) once its queue has reached the sinks, and
    /// says in the log how many events no sink got (queue full, or left behind a sink busy past the limit).
    /// </summary>
    public void StopDispatching()
    {
        var left = Hub.StopDispatching();
        if ((left > 0 || Hub.Dropped > 0) && !_lossesLogged)
        {
            _lossesLogged = true;
            ExportLog.HubLosses(_log, Hub.Dropped, Hub.Undelivered);
        }
    }

    public void Dispose()
    {
        StopDispatching();
        File?.Dispose();
        Syslog?.Dispose();
        if (File is { Counters: var c } && (c.Dropped > 0 || c.WriteErrors > 0))
        {
            ExportLog.EveLosses(_log, File.Path, c.Dropped, c.WriteErrors);
        }
    }
}

internal static partial class ExportLog
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "EVE events to {Path} (SIGHUP reopens it)")]
    public static partial void EveFile(ILogger logger, string path);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "SIGHUP: reopening the EVE file {Path}")]
    public static partial void Reopening(ILogger logger, string path);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "event hub: {Dropped} events reached no sink (queue full), {Undelivered} left queued at shutdown behind a busy sink")]
    public static partial void HubLosses(ILogger logger, long dropped, long undelivered);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "EVE file {Path}: {Dropped} events dropped (queue full), {WriteErrors} write errors")]
    public static partial void EveLosses(ILogger logger, string path, long dropped, long writeErrors);
}
