using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Host.Logging;

/// <summary>
/// One log record in systemd-journald's native protocol (one datagram of fields): <c>NAME=value\n</c>, or for a
/// value holding a newline <c>NAME\n</c>, its length as 64-bit little-endian, the bytes and <c>\n</c>. A
/// record's structured values become fields named <c>KALKI_</c> and the name in upper snake case
/// (<c>{AlertType}</c> → <c>KALKI_ALERT_TYPE</c>), so <c>journalctl KALKI_DEVICE=cam</c> selects by them.
/// </summary>
internal static class JournalFields
{
    /// <summary>Longest value written; a longer one is cut (a log line is never the place for megabytes).</summary>
    public const int MaxValueBytes = 16 * 1024;

    /// <summary>The syslog priority journald files a level under (what <c>journalctl -p</c> selects by).</summary>
    public static int Priority(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 6,
        _ => 7,
    };

    public static byte[] Record(string identifier, string category, LogLevel level, EventId id, string message, IEnumerable<KeyValuePair<string, object?>> values, Exception? exception)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Add(buffer, "MESSAGE", exception is null ? message : $"{message}\n{exception}");
        Add(buffer, "PRIORITY", Priority(level).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add(buffer, "SYSLOG_IDENTIFIER", identifier);
        Add(buffer, "KALKI_CATEGORY", category);
        if (id.Id != 0)
        {
            Add(buffer, "KALKI_EVENT_ID", id.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (var (key, value) in values)
        {
            if (key != "{OriginalFormat}" && FieldName(key) is { } name)
            {
                Add(buffer, name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>KALKI_</c> and the name in upper snake case; null for a name with nothing journald accepts.</summary>
    public static string? FieldName(string key)
    {
        var name = new StringBuilder("KALKI_", 6 + key.Length + 4);
        for (int i = 0; i < key.Length && name.Length < 64; i++)
        {
            char c = key[i];
            if (char.IsAsciiLetterUpper(c) && i > 0 && (char.IsAsciiLetterLower(key[i - 1]) || char.IsAsciiDigit(key[i - 1])))
            {
                name.Append('_');
            }

            name.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }

        return name.Length > 6 ? name.ToString() : null;
    }

    private static void Add(ArrayBufferWriter<byte> buffer, string name, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var span = bytes.AsSpan(0, Math.Min(bytes.Length, MaxValueBytes));
        Encoding.ASCII.GetBytes(name, buffer.GetSpan(name.Length));
        buffer.Advance(name.Length);
        if (span.Contains((byte)'\n'))
        {
            buffer.Write("\n"u8);
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.GetSpan(8), (ulong)span.Length);
            buffer.Advance(8);
        }
        else
        {
            buffer.Write("="u8);
        }

        buffer.Write(span);
        buffer.Write("\n"u8);
    }
}
