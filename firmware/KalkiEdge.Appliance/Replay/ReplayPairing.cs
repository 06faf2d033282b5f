using System.Globalization;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Appliance.Replay;

/// <summary>
/// Replay's pairing window (<c>--pair-window START[+SECONDS]</c>: opened START seconds after the capture's first
/// frame, for SECONDS or the configured length) and which MACs are the network side (<c>--network-mac</c>): a
/// capture has no ports, and a device being paired is not registered yet, so the side cannot be inferred from it.
/// </summary>
public sealed record ReplayPairing(TimeSpan Start, TimeSpan? Length, IReadOnlySet<ulong> NetworkMacs)
{
    /// <summary>Parses both options; null with a message in <paramref name="error"/> when either is invalid.</summary>
    public static ReplayPairing? Parse(string window, string? networkMacs, out string? error)
    {
        ArgumentNullException.ThrowIfNull(window);
        error = null;
        var plus = window.IndexOf('+', StringComparison.Ordinal);
        var startText = plus < 0 ? window : window[..plus];
        TimeSpan? length = null;
        if (!double.TryParse(startText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var start) || start > 1e9)
        {
            error = $"--pair-window: START must be seconds from the capture's first frame (e.g. 30 or 30+120), got '{window}'";
            return null;
        }

        if (plus >= 0)
        {
            if (!double.TryParse(window[(plus + 1)..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) || seconds < 1 || seconds > 86_400)
            {
                error = $"--pair-window: SECONDS must be from 1 to 86400, got '{window[(plus + 1)..]}'";
                return null;
            }

            length = TimeSpan.FromSeconds(seconds);
        }

        var macs = new HashSet<ulong>();
        foreach (var text in (networkMacs ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Mac.TryParse(text, out var mac) || mac == 0 || Mac.IsGroup(mac))
            {
                error = $"--network-mac: '{text}' is not a unicast MAC address";
                return null;
            }

            macs.Add(mac);
        }

        return new ReplayPairing(TimeSpan.FromSeconds(start), length, macs);
    }

    /// <summary>Every frame not from a network-side MAC comes from the device side.</summary>
    public Direction DirectionOf(Frame frame) =>
        NetworkMacs.Contains(frame.SrcMac) ? Direction.ToDevice : Direction.FromDevice;
}
