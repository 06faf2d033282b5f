using System.Globalization;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Application;

/// <summary>A set of TCP/UDP ports (one bit per port): O(1) membership on the hot path.</summary>
public sealed class PortSet
{
    private readonly ulong[] _bits = new ulong[65536 / 64];

    public bool IsEmpty { get; private set; } = true;

    public bool Contains(ushort port) => (_bits[port >> 6] & (1UL << (port & 63))) != 0;

    public void Add(int from, int to)
    {
        for (int p = from; p <= to; p++)
        {
            _bits[p >> 6] |= 1UL << (p & 63);
        }

        IsEmpty = false;
    }

    /// <summary>
    /// Reads ports written as a number (<c>443</c>), a range (<c>8000-8100</c>) or a list of those; reports
    /// errors at their place. Returns null if nothing valid was given.
    /// </summary>
    internal static PortSet? Parse(ElementArgs args, ArgNode node, string what)
    {
        var set = new PortSet();
        foreach (var item in node.AsList())
        {
            var text = args.ScalarText(item);
            if (text is null)
            {
                continue;
            }

            var dash = text.IndexOf('-', StringComparison.Ordinal);
            var lowText = dash < 0 ? text : text[..dash];
            var highText = dash < 0 ? text : text[(dash + 1)..];
            if (!TryPort(lowText, out var low) || !TryPort(highText, out var high) || high < low)
            {
                args.Error(item.At, $"'{what}': '{text}' is not a port (1-65535) or a range like 8000-8100");
                continue;
            }

            set.Add(low, high);
        }

        return set.IsEmpty ? null : set;
    }

    /// <summary>A single required-or-defaulted port argument (e.g. <c>port: 22</c>).</summary>
    internal static ushort Single(ElementArgs args, string key, ushort fallback) =>
        (ushort)args.Int(key, fallback, 1, 65535);

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
}
