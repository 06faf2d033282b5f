using System.Globalization;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Mud;

namespace KalkiEdge.Panel;

/// <summary>The push-button: GPIO chip and line (BCM numbering on a Raspberry Pi), pull, active level, debounce.</summary>
public sealed record ButtonSettings(int Chip, int Pin, GpioPull Pull, bool ActiveLow, TimeSpan Debounce)
{
    /// <summary>A named pipe that drives the line instead of the chip (testbeds without the hardware); null on a real board.</summary>
    public string? Fifo { get; init; }
}

/// <summary>The character LCD on a PCF8574 I2C backpack: bus, 7-bit address, geometry, page rotation.</summary>
public sealed record DisplaySettings(int Bus, int Address, int Columns, int Rows, TimeSpan Rotate);

/// <summary>Pairing: window length, the most candidates one window admits, the confidence below which a device needs review.</summary>
public sealed record PairingSettings(TimeSpan Window, int MaxCandidates, int ConfidenceThreshold, TimeSpan Observe)
{
    public static readonly PairingSettings Default = new(TimeSpan.FromSeconds(120), 8, 60, TimeSpan.FromSeconds(20));
}

/// <summary>
/// Site config <c>panel:</c>. Every part is optional: no <c>button</c>, no button; no <c>display</c>, no LCD.
/// <code>
/// panel:
///   button:  {chip: 0, pin: 17, pull: up, active: low, debounce: 30ms}   # fifo: /run/kalki-edge/button drives the line from a named pipe
///   display: {bus: 1, address: 0x27, size: 16x2, rotate: 4s}
///   pairing: {window: 120s, max-candidates: 8, confidence: 60, observe: 20s}
///   mud:     {dir: /etc/kalki-edge/mud, fetch: false, signers: /etc/kalki-edge/mud-signers.pem, tls-roots: FILE, timeout: 5s}
/// </code>
/// </summary>
public sealed record PanelSettings(ButtonSettings? Button, DisplaySettings? Display, PairingSettings Pairing)
{
    /// <summary>Where MUD files come from; <see cref="MudSettings.Off"/> without a <c>mud:</c> part.</summary>
    public MudSettings Mud { get; init; } = MudSettings.Off;

    public const string Section = "panel";

    public static readonly PanelSettings None = new(null, null, PairingSettings.Default);

    /// <summary>Reads the section (absent = no panel); every error, with its line, goes to <paramref name="diagnostics"/>.</summary>
    public static PanelSettings Read(IReadOnlyDictionary<string, ArgNode> sections, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(sections);
        if (!sections.TryGetValue(Section, out var node) || ConfigSection.Args(Section, node, diagnostics) is not { } args)
        {
            return None;
        }

        var display = args.Node("display") is { } d ? ReadDisplay(args, d) : null;
        var button = args.Node("button") is { } b ? ReadButton(args, b, display) : null;
        var pairing = args.Node("pairing") is { } p ? ReadPairing(args, p) : PairingSettings.Default;
        var mud = args.Node("mud") is { } m ? ReadMud(args, m) : MudSettings.Off;
        args.RejectUnknown();
        return new PanelSettings(button, display, pairing) { Mud = mud };
    }

    private static ButtonSettings? ReadButton(ElementArgs panel, ArgNode node, DisplaySettings? display)
    {
        if (panel.Map(node, "button") is not { } a)
        {
            return null;
        }

        var line = GpioInputArgs.Read(a, node, GpioPull.Up, floatingActiveLow: true);

        // On bus 1 the display's SDA/SCL are BCM 2 and 3: a button there would fight the bus.
        if (a.Has("pin") && display is { Bus: 1 } && line.Pin is 2 or 3)
        {
            a.Error(line.PinAt, $"pin {line.Pin} is the I2C bus 1 {(line.Pin == 2 ? "SDA" : "SCL")} line the display uses");
        }

        var debounce = a.DurationMicros("debounce", 30_000);
        if (debounce > 1_000_000)
        {
            a.Error(a.Node("debounce")!.At, $"'debounce' of {Duration.Format(debounce)} would swallow presses (at most 1s)");
        }

        var fifo = a.AbsolutePath("fifo");

        a.RejectUnknown();
        return new ButtonSettings(line.Chip, line.Pin, line.Pull, line.ActiveLow, TimeSpan.FromMicroseconds(Math.Min(debounce, 1_000_000))) { Fifo = fifo };
    }

    private static DisplaySettings? ReadDisplay(ElementArgs panel, ArgNode node)
    {
        if (panel.Map(node, "display") is not { } a)
        {
            return null;
        }

        var bus = (int)a.Int("bus", 1, 0, 31);
        var address = 0x27;
        if (a.Required("address") is { } addressNode && a.ScalarText(addressNode) is { } text)
        {
            if (!BusAddress.TryParse(text, out address) || address < 0x08 || address > 0x77)
            {
                a.Error(addressNode.At, $"'address' must be a 7-bit I2C address from 0x08 to 0x77 (a PCF8574 backpack answers at 0x20–0x27 or 0x38–0x3f), got '{text}'");
                address = 0x27;
            }
        }

        var size = a.Choice("size", "16x2", "16x2", "20x4");
        var rotate = a.DurationMicros("rotate", 4_000_000, 500_000);
        a.RejectUnknown();
        return size == "20x4"
            ? new DisplaySettings(bus, address, 20, 4, TimeSpan.FromMicroseconds(rotate))
            : new DisplaySettings(bus, address, 16, 2, TimeSpan.FromMicroseconds(rotate));
    }

    private static PairingSettings ReadPairing(ElementArgs panel, ArgNode node)
    {
        if (panel.Map(node, "pairing") is not { } a)
        {
            return PairingSettings.Default;
        }

        var d = PairingSettings.Default;
        var window = a.DurationMicros("window", (long)d.Window.TotalMicroseconds, 10_000_000);
        var max = (int)a.Int("max-candidates", d.MaxCandidates, 1, 64);
        var confidence = (int)a.Int("confidence", d.ConfidenceThreshold, 1, 100);
        var observe = a.DurationMicros("observe", (long)d.Observe.TotalMicroseconds, 1_000_000);
        a.RejectUnknown();
        return new PairingSettings(TimeSpan.FromMicroseconds(window), max, confidence, TimeSpan.FromMicroseconds(observe));
    }

    private static MudSettings ReadMud(ElementArgs panel, ArgNode node)
    {
        if (panel.Map(node, "mud") is not { } a)
        {
            return MudSettings.Off;
        }

        var dir = a.AbsolutePath("dir");
        var fetch = a.Bool("fetch", false);
        var signers = a.AbsolutePath("signers");
        var roots = a.AbsolutePath("tls-roots");
        var timeout = a.DurationMicros("timeout", 5_000_000, 100_000);
        if (timeout > 60_000_000)
        {
            a.Error(a.Node("timeout")!.At, "'timeout' is at most 60s: pairing waits for the fetch");
        }

        if (fetch && signers is null)
        {
            a.Error(node.At, "'fetch: true' needs 'signers': fetched MUD files are used only when their signature verifies");
        }

        a.RejectUnknown();
        return new MudSettings(dir, fetch, signers, roots, TimeSpan.FromMicroseconds(Math.Min(timeout, 60_000_000)));
    }
}
