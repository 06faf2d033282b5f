using System.Text;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Export.Logging;

/// <summary>
/// Events as log records, for the journal (through the systemd console formatter, whose <c>&lt;N&gt;</c> prefix is
/// the journal priority): an alert of severity 1 is an error, 2 a warning, 3 and above information; a state change
/// is a warning, a pairing refused by the registry a warning and other pairing results information. The line is the human summary, or the EVE JSON itself when <c>eve: { journal: true }</c> asks for
/// it (a SIEM reading the journal then gets the same record as from the EVE file).
/// </summary>
public sealed partial class JournalEventSink(ILogger logger, bool eveJson) : IEventSink
{
    public static LogLevel LevelOf(ApplianceEvent e) => e switch
    {
        AlertEvent a => AlertSignatures.For(a.Alert).Severity switch
        {
            1 => LogLevel.Error,
            2 => LogLevel.Warning,
            _ => LogLevel.Information,
        },
        PairingOccurred p => p.Outcome == PairingOutcome.Rejected ? LogLevel.Warning : LogLevel.Information,
        _ => LogLevel.Warning,
    };

    public void Publish(ApplianceEvent e)
    {
        var level = LevelOf(e);
        if (!logger.IsEnabled(level))
        {
            return;
        }

        if (eveJson)
        {
            LogEve(logger, level, Eve(e));
            return;
        }

        switch (e)
        {
            case AlertEvent { Alert: var a }:
                LogAlert(logger, level, a.Device, a.Type, EveFormat.Bounded(a.Info, EveFormat.MaxInfoChars).ToString(), a.Count);
                break;
            case TransitionOccurred { Transition: var t }:
                LogTransition(logger, t.FailClosed ? LogLevel.Error : level, t.Device, t.From, t.To, t.Rule, t.Image, t.ReactionMicros);
                break;
            case PairingOccurred p:
                LogPairing(logger, level, p.Outcome.ToString().ToUpperInvariant(), p.Device, p.Pack ?? "-", EveFormat.Bounded(p.Detail, EveFormat.MaxInfoChars).ToString());
                break;
        }
    }

    private static string Eve(ApplianceEvent e) => Encoding.UTF8.GetString(e.EveLine.AsSpan(..^1));

    [LoggerMessage(EventId = 1, Message = "ALERT {Device} {AlertType}: {Info} (x{Count})")]
    private static partial void LogAlert(ILogger logger, LogLevel level, string device, string alertType, string info, int count);

    [LoggerMessage(EventId = 2, Message = "STATE {Device} {From} -> {To} by rule '{Rule}', chain {Chain}, in {ReactionMicros} µs")]
    private static partial void LogTransition(ILogger logger, LogLevel level, string device, string from, string to, string rule, string chain, long reactionMicros);

    [LoggerMessage(EventId = 4, Message = "PAIRING {Outcome} {Device} as {Pack}: {Detail}")]
    private static partial void LogPairing(ILogger logger, LogLevel level, string outcome, string device, string pack, string detail);

    [LoggerMessage(EventId = 3, Message = "{Eve}")]
    private static partial void LogEve(ILogger logger, LogLevel level, string eve);
}
