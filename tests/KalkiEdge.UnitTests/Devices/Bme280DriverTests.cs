using KalkiEdge.Devices.Bme280;
using KalkiEdge.Devices.Simulators;
using Bosch = Iot.Device.Bmxx80;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// The appliance's own BME280 driver against two references it shares no code with: the datasheet's worked example
/// of the compensation, and dotnet/iot's binding (the well-kept implementation the driver replaced in the firmware)
/// reading the same in-memory chip.
/// </summary>
public sealed class Bme280DriverTests
{
    [Test]
    public void The_compensation_gives_the_datasheets_worked_example()
    {
        // The example's trimming values and raw readings (Bosch's BMP280/BME280 datasheets, "computation example").
        var calibration = new Bme280Calibration(27504, 26435, -1000, 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000, 0, 0, 0, 0, 0, 0);

        var (centiCelsius, fine) = calibration.Temperature(519888);

        Assert.That(centiCelsius, Is.EqualTo(2508), "25.08 °C");
        Assert.That(fine, Is.EqualTo(128422));
        // The example carries the fine value's fraction (128422.29) into its floating-point pressure; the chip's
        // integer fine value gives 0.01 Pa less.
        Assert.That(calibration.PressurePascals(415148, fine), Is.EqualTo(100653.27).Within(0.02));
    }

    [Test]
    public void The_calibration_registers_are_read_as_the_datasheet_lays_them_out()
    {
        // dig_H4 = 0x123 and dig_H5 = -0x123 share 0xE5 (H4's low nibble, H5's low nibble in the high half).
        byte[] first = [0x70, 0x6B, 0x43, 0x67, 0x18, 0xFC, 0x7D, 0x8E, 0x43, 0xD6, 0xD0, 0x0B, 0x27, 0x0B, 0x8C, 0x00,
            0xF9, 0xFF, 0x8C, 0x3C, 0xF8, 0xC6, 0x70, 0x17, 0x00, 0x4B];
        byte[] second = [0x6A, 0x01, 0x07, 0x12, 0xD3, 0xED, 0xE2];

        var c = Bme280Calibration.Parse(first, second);

        Assert.That(c, Is.EqualTo(new Bme280Calibration(27504, 26435, -1000, 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000, 75, 362, 7, 0x123, -0x123, -30)));
    }

    [TestCase(23.45, 51.2, 1002.7)]
    [TestCase(-10.0, 90.0, 950.0)]
    [TestCase(60.0, 5.0, 1080.0)]
    [TestCase(0.0, 0.5, 300.0)]
    [TestCase(21.07, 99.5, 1100.0)]
    public void The_driver_reads_what_dotnet_iots_binding_reads_from_the_same_chip(double celsius, double humidity, double hpa)
    {
        var room = () => (celsius, humidity, hpa);
        var ours = new FakeBme280(room);
        var theirs = new FakeBme280(room);
        using var driver = new Bme280Sensor(ours);
        using var binding = new Bosch.Bme280(theirs);

        var read = driver.Read().ToDictionary(v => v.Quantity, v => (double)v.Value.AsDecimal);
        var reference = binding.Read();

        Assert.That(read["temperature"], Is.EqualTo(reference.Temperature!.Value.DegreesCelsius).Within(0.011));
        Assert.That(read["humidity"], Is.EqualTo(reference.Humidity!.Value.Percent).Within(0.02));
        Assert.That(read["pressure"], Is.EqualTo(reference.Pressure!.Value.Hectopascals).Within(0.01));
    }
}
