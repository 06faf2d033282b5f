using System.Device.Gpio;
using KalkiEdge.Devices.Simulators;
using Microsoft.Extensions.Time.Testing;

namespace KalkiEdge.UnitTests.Panel;

/// <summary>Presses as a finger makes them on the fake chip and clock.</summary>
internal static class ButtonPresses
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Closes the contact for <paramref name="duration"/>, then opens it. The clock moves in two steps each way:
    /// FakeTimeProvider runs a timer's callback at the end of an Advance, so the debounce timer must fire before
    /// the hold's time passes, or the press would be stamped at its end.
    /// </summary>
    public static void Hold(FakeGpioDriver chip, FakeTimeProvider time, int pin, TimeSpan duration)
    {
        chip.Set(pin, PinValue.Low);
        time.Advance(Settle);
        time.Advance(duration - Settle);
        chip.Set(pin, PinValue.High);
        time.Advance(Settle);
    }
}
