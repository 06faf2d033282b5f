using System.Globalization;

namespace KalkiEdge.Panel.Display;

/// <summary>The panel's pages, in rotation order; the last three only interrupt.</summary>
public enum PanelPage
{
    Counts,
    Alert,
    Pairing,
    Management,
    Assurance,
    FailClosed,
    FactoryReset,
}

/// <summary>
/// Renders a page for a display of any size: each page's lines in order of importance (a 16×2 shows the first two,
/// a 20×4 all four), each cut or padded to the width. The one rendering path for the real, in-memory and console LCDs.
/// </summary>
public static class PanelPages
{
    public const int RotatedPages = 5;

    public static string[] Render(PanelStatus status, PanelPage page, int columns, int rows)
    {
        ArgumentNullException.ThrowIfNull(status);
        var lines = Lines(status, page);
        return [.. Enumerable.Range(0, rows).Select(r => Fit(r < lines.Length ? lines[r] : "", columns))];
    }

    /// <summary>Cut to the width (a long name shows its start) and padded, so every write replaces the whole row.</summary>
    public static string Fit(string text, int columns) =>
        text.Length >= columns ? text[..columns] : text.PadRight(columns);

    private static string[] Lines(PanelStatus s, PanelPage page) => page switch
    {
        PanelPage.Counts =>
        [
            Invariant($"N:{s.Normal} S:{s.Suspicious} A:{s.Attack}"),
            Invariant($"{s.Devices} device{(s.Devices == 1 ? "" : "s")}{(s.Other > 0 ? $", {s.Other} fixed" : "")}"),
            s.PairingSeconds > 0 ? Invariant($"pairing {s.PairingSeconds}s") : "",
            s.FailClosed is null ? "" : "FAIL-CLOSED",
        ],
        PanelPage.Alert => s.NewestAlert is { } a ? [a.Device, a.Type, "newest alert"] : ["no alerts", ""],
        PanelPage.Pairing => Pairing(s),
        PanelPage.Management => ["management", s.Management],
        PanelPage.Assurance => [$"hv {s.Hypervisor}", $"sign {s.Signing}"],
        PanelPage.FailClosed => ["FAIL-CLOSED", s.FailClosed ?? "", "traffic blocked"],
        _ => ["FACTORY RESET?", "press to confirm", "erases devices,", "history, accounts"],
    };

    private static string[] Pairing(PanelStatus s)
    {
        var window = s.PairingSeconds > 0 ? Invariant($"PAIRING {s.PairingSeconds}s") : "pairing: press btn";
        if (s.LastPaired is not { } last)
        {
            return [window, "none paired yet"];
        }

        var v = last.Verdict;
        return last.Admitted
            ? [window, Invariant($"{v.Confidence}% {v.Pack}"), v.DeviceName, v.NeedsReview ? "NEEDS REVIEW" : "recognised"]
            : [window, "not admitted", v.DeviceName, last.Detail];
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
