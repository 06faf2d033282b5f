using System.Globalization;

namespace KalkiEdge.Export.Eve;

/// <summary>Suricata's EVE timestamp: <c>2026-12-04T19:46:19.123456+0000</c> (microseconds, numeric UTC offset).</summary>
public static class EveTimestamp
{
    public const int Length = 31;

    /// <summary>Formats into <paramref name="destination"/> (at least <see cref="Length"/> chars) without allocating.</summary>
    public static int Format(long unixMicros, Span<char> destination)
    {
        var time = DateTime.UnixEpoch.AddTicks(Math.Clamp(unixMicros, 0, 253_402_300_799_999_999) * 10);
        time.TryFormat(destination, out int written, "yyyy-MM-dd'T'HH:mm:ss.ffffff'+0000'", CultureInfo.InvariantCulture);
        return written;
    }

    public static string Format(long unixMicros)
    {
        Span<char> buffer = stackalloc char[Length];
        return new string(buffer[..Format(unixMicros, buffer)]);
    }
}
