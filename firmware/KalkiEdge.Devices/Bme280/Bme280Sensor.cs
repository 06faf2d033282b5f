using System.Device.I2c;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Onboard;
using Bosch = Iot.Device.Bmxx80;

namespace KalkiEdge.Devices.Bme280;

/// <summary>
/// A Bosch BME280 on I2C through dotnet/iot's binding: temperature (°C), relative humidity (%) and pressure (hPa),
/// each rounded to two decimals (the sensor's resolution is coarser). Forced mode: the binding starts one
/// measurement per read, so the sensor sleeps between readings.
/// </summary>
public sealed class Bme280Sensor : IOnboardSensor
{
    private readonly Bosch.Bme280 _chip;

    /// <summary>Opens the chip on <paramref name="device"/> (taken over); <see cref="IOException"/> when no BME280 answers there.</summary>
    public Bme280Sensor(I2cDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        try
        {
            _chip = new Bosch.Bme280(device);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    public IReadOnlyList<(string Quantity, EvValue Value)> Read()
    {
        var result = _chip.Read();
        var values = new List<(string, EvValue)>(3);
        if (result.Temperature is { } t && double.IsFinite(t.DegreesCelsius))
        {
            values.Add(("temperature", Of(t.DegreesCelsius)));
        }

        if (result.Humidity is { } h && double.IsFinite(h.Percent))
        {
            values.Add(("humidity", Of(h.Percent)));
        }

        if (result.Pressure is { } p && double.IsFinite(p.Hectopascals))
        {
            values.Add(("pressure", Of(p.Hectopascals)));
        }

        return values;
    }

    public void Dispose() => _chip.Dispose();

    private static EvValue Of(double value) => EvValue.Of(Math.Round((decimal)value, 2));
}
