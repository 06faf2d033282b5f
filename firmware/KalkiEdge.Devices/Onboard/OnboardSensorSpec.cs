using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Devices.Onboard;

/// <summary>The bindings the appliance's own sensors can use.</summary>
public enum OnboardSensorKind
{
    /// <summary>Bosch BME280 on I2C: temperature, humidity, pressure.</summary>
    Bme280,

    /// <summary>A digital input on a GPIO line (PIR motion sensor, door contact): active or not.</summary>
    DigitalInput,
}

/// <summary>One quantity the sensor measures, reported as a pack sensor of the devices it is attached to.</summary>
public sealed record OnboardReading(string Quantity, string Sensor, ValueKind Kind, SourceSpan At);

/// <summary>
/// One of the appliance's own sensors as kalki.yaml's <c>sensors:</c> gives it: its binding and where it sits
/// (I2C bus and address, or GPIO chip and line), what it reports under which pack sensor names, and to which device
/// (null: the site, i.e. every device whose pack declares those sensors).
/// </summary>
public sealed record OnboardSensorSpec(string Name, OnboardSensorKind Kind, IReadOnlyList<OnboardReading> Readings, SourceSpan At)
{
    public int Bus { get; init; }

    public int Address { get; init; }

    public int Chip { get; init; }

    public int Pin { get; init; }

    public SourceSpan PinAt { get; init; }

    public GpioPull Pull { get; init; }

    public bool ActiveLow { get; init; }

    /// <summary>The device the readings belong to; null: the site.</summary>
    public string? Device { get; init; }

    public SourceSpan AttachAt { get; init; }

    /// <summary>
    /// A BME280 that is not on the bus but emulated in memory, sensing the room this file describes (testbeds and
    /// benches without the chip); null: the real chip.
    /// </summary>
    public string? EnvironmentFile { get; init; }

    /// <summary>Time between two readings; 0: the attached device's sampling interval.</summary>
    public long IntervalMicros { get; init; }
}
