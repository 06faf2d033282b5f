using System.Globalization;

namespace KalkiEdge.Core;

/// <summary>A bus address as written in configs: hexadecimal with <c>0x</c> (as datasheets give them) or decimal.</summary>
public static class BusAddress
{
    public static bool TryParse(string text, out int address) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out address)
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out address);
}
