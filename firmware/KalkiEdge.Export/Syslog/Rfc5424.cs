using System.Buffers;
using System.Globalization;
using System.Text;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;
using KalkiEdge.Export.Logging;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Export.Syslog;

/// <summary>
/// RFC 5424 messages whose MSG is the event's EVE JSON:
/// <c>&lt;PRI&gt;1 2026-12-04T19:46:19.123456Z HOST kalki-edge PID alert - {"timestamp":…}</c>. The severity
/// follows the journal's (alert severity 1 → err, 2 → warning, else informational; transitions → warning).
/// </summary>
public static class Rfc5424
{
    public const string AppName = "kalki-edge";

    /// <summary>HOSTNAME: printable ASCII without spaces, at most 255 characters (RFC 5424 §6.2.4), else "-".</summary>
    public static string HostName(string name)
    {
        var clean = new string([.. name.Where(c => c is > ' ' and < (char)127)]);
        return clean.Length is 0 or > 255 ? "-" : clean;
    }

    public static int Severity(ApplianceEvent e) => JournalEventSink.LevelOf(e) switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        _ => 6,
    };

    /// <summary>Appends one message (no framing) to <paramref name="output"/>.</summary>
    public static void Write(ApplianceEvent e, int facility, string host, int processId, IBufferWriter<byte> output)
    {
        var msgId = e switch { AlertEvent => EveFormat.AlertType, PairingOccurred => EveFormat.PairingType, _ => EveFormat.TransitionType };
        var time = DateTime.UnixEpoch.AddTicks(Math.Clamp(e.TimeMicros, 0, 253_402_300_799_999_999) * 10);
        var header = string.Create(CultureInfo.InvariantCulture, $"<{(facility * 8) + Severity(e)}>1 {time:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'} {host} {AppName} {processId} {msgId} - ");
        output.Write(Encoding.ASCII.GetBytes(header));
        output.Write(e.EveLine.AsSpan(..^1)); // no newline: octet counting frames a message, a datagram ends it
    }
}
