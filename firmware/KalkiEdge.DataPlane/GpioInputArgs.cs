using KalkiEdge.Core;

namespace KalkiEdge.DataPlane;

/// <summary>Pull resistor of a GPIO input line.</summary>
public enum GpioPull
{
    Up,
    Down,
    None,
}

/// <summary>A GPIO input as site config sections give it (the panel's button, a door contact): its line and levels.</summary>
public sealed record GpioInput(int Chip, int Pin, SourceSpan PinAt, GpioPull Pull, bool ActiveLow);

/// <summary>
/// Reads the keys every GPIO input of the site config shares: <c>chip</c>, <c>pin</c> (a BCM line of the 40-pin
/// header), <c>pull</c> and <c>active</c>, and refuses a pull that holds the idle line at its active level (the
/// input would read as pressed or active from the start). Messages start with <c>subject</c> when it is given.
/// </summary>
public static class GpioInputArgs
{
    /// <summary>BCM lines on the 40-pin header; 0 and 1 are the HAT EEPROM's.</summary>
    public const int FirstHeaderPin = 2;
    public const int LastHeaderPin = 27;

    /// <param name="defaultPull">The pull when none is given.</param>
    /// <param name="floatingActiveLow">The active level when the line has no pull (with a pull, the level away from it).</param>
    /// <param name="subject">Prefix of messages (<c>sensor 'door'</c>); null when the owner already says it.</param>
    public static GpioInput Read(ElementArgs a, ArgNode node, GpioPull defaultPull, bool floatingActiveLow, string? subject = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(node);
        var prefix = subject is null ? "" : subject + ": ";
        var chip = (int)a.Int("chip", 0, 0, 15);
        var pinNode = a.Required("pin");
        var pin = pinNode is null ? FirstHeaderPin : (int)a.Int(pinNode, "pin", -1);
        if (pinNode is not null && pin != -1 && (pin < FirstHeaderPin || pin > LastHeaderPin))
        {
            a.Error(pinNode.At, $"{prefix}pin {pin} is not a GPIO line on the 40-pin header (BCM {FirstHeaderPin}–{LastHeaderPin}; 0 and 1 belong to the HAT EEPROM)");
        }

        var pull = a.Choice("pull", Name(defaultPull), "up", "down", "none") switch
        {
            "up" => GpioPull.Up,
            "down" => GpioPull.Down,
            _ => GpioPull.None,
        };
        var activeLow = pull switch { GpioPull.Up => true, GpioPull.Down => false, _ => floatingActiveLow };
        var active = a.Choice("active", activeLow ? "low" : "high", "low", "high");
        if ((pull, active) is (GpioPull.Up, "high") or (GpioPull.Down, "low"))
        {
            a.Error(a.Node("active")?.At ?? node.At, $"{prefix}pull: {Name(pull)} with active: {active} holds the idle line at its active level (it would read as active from the start)");
        }

        return new GpioInput(chip, pin, pinNode?.At ?? node.At, pull, active == "low");
    }

    private static string Name(GpioPull pull) => pull.ToString().ToLowerInvariant();
}
