using System.Globalization;

namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// The room an emulated BME280 senses, fed from outside the process (a testbed's thermal model, a bench): one line
/// <c>CELSIUS [HUMIDITY-% [PRESSURE-HPA]]</c>, e.g. <c>31.5 40 1013.25</c>, read again at every measurement. Write
/// it atomically (a new file renamed over the old) so no measurement sees half a line. Anything else fails the
/// measurement with an <see cref="IOException"/> saying what and where, as a chip that does not answer: a file
/// writable by every user (anyone could heat the room), not a regular file, over 256 bytes, not numbers, or
/// outside the chip's range.
/// </summary>
public static class RoomFile
{
    public const int MaxBytes = 256;
    public const double DefaultHumidity = 40;
    public const double DefaultPressure = 1013.25;

    public static (double Celsius, double HumidityPercent, double PressureHectopascals) Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new IOException($"room file {path}: no such regular file (write 'CELSIUS [HUMIDITY [HPA]]' into it)");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.OtherWrite) != 0)
        {
            throw new IOException($"room file {path} is writable by every user, who could heat the room (chmod o-w)");
        }

        Span<byte> buffer = stackalloc byte[MaxBytes + 1];
        int length;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0))
        {
            length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }

        if (length > MaxBytes)
        {
            throw new IOException($"room file {path}: over {MaxBytes} bytes (one line 'CELSIUS [HUMIDITY [HPA]]' expected)");
        }

        return Parse(System.Text.Encoding.ASCII.GetString(buffer[..length]), path);
    }

    public static (double Celsius, double HumidityPercent, double PressureHectopascals) Parse(string text, string where)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = text.Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is < 1 or > 3)
        {
            throw new IOException($"room file {where}: expected 'CELSIUS [HUMIDITY [HPA]]', got {fields.Length} fields");
        }

        var celsius = Number(fields, 0, "temperature", -40, 85, double.NaN, where);
        var humidity = Number(fields, 1, "humidity", 0, 100, DefaultHumidity, where);
        var pressure = Number(fields, 2, "pressure", 300, 1100, DefaultPressure, where);
        return (celsius, humidity, pressure);
    }

    /// <summary>A field within what a BME280 measures (datasheet operating range).</summary>
    private static double Number(string[] fields, int index, string quantity, double min, double max, double fallback, string where)
    {
        if (index >= fields.Length)
        {
            return fallback;
        }

        var text = fields[index];
        if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || !(value >= min && value <= max))
        {
            throw new IOException($"room file {where}: {quantity} '{KalkiEdge.Core.Printable.Escape(text.Length > 20 ? text[..20] + "…" : text)}' is not a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        }

        return value;
    }
}
