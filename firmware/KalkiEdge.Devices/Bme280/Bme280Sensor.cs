using System.Device.I2c;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Onboard;
using static KalkiEdge.Devices.Bme280.Bme280Registers;

namespace KalkiEdge.Devices.Bme280;

/// <summary>
/// A Bosch BME280 on I2C: temperature (°C), relative humidity (%) and pressure (hPa), each to two decimals (the
/// sensor's resolution is coarser). Forced mode with each quantity sampled once and the IIR filter off: every read
/// starts one measurement, so the sensor sleeps between readings. Spoken to through System.Device.Gpio's I2C device
/// with the datasheet's register map and compensation (<see cref="Bme280Calibration"/>), not through dotnet/iot's
/// binding: that one hands its readings over as UnitsNet quantities, and any use of a quantity compiles UnitsNet's
/// registry of every quantity into the NativeAOT firmware (≈ 10,000 types, resident from start: docs/platform.md).
/// </summary>
public sealed class Bme280Sensor : IOnboardSensor
{
    // osrs_h ×1; osrs_t ×1, osrs_p ×1 with mode bits sleep (00) or forced (01); IIR filter off.
    private const byte HumidityOnce = 0b001;
    private const byte SampleOnceSleep = (0b001 << 5) | (0b001 << 2);
    private const byte SampleOnceForced = SampleOnceSleep | 0b01;

    // The datasheet's maximum for one forced measurement at ×1 sampling (1.25 + 2.3 + 2.875 + 2.875 ms), then the
    // status polled until the chip says it is done, within a bound.
    private static readonly TimeSpan MeasurementTime = TimeSpan.FromMilliseconds(10);
    private const int StatusPolls = 20;

    private readonly I2cDevice _device;
    private readonly Bme280Calibration _calibration;

    /// <summary>Opens the chip on <paramref name="device"/> (taken over); <see cref="IOException"/> when no BME280 answers there.</summary>
    public Bme280Sensor(I2cDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        try
        {
            var id = ReadRegister(ChipIdRegister);
            if (id != ChipId)
            {
                throw new IOException($"the chip at 0x{device.ConnectionSettings.DeviceAddress:x2} on I2C bus {device.ConnectionSettings.BusId} " +
                    $"answers with id 0x{id:x2}, not a BME280's 0x{ChipId:x2}");
            }

            Span<byte> first = stackalloc byte[Bme280Calibration.FirstLength];
            Span<byte> second = stackalloc byte[Bme280Calibration.SecondLength];
            ReadRegisters(Bme280Calibration.FirstRegister, first);
            ReadRegisters(Bme280Calibration.SecondRegister, second);
            _calibration = Bme280Calibration.Parse(first, second);
            // ctrl_hum takes effect with the next write to ctrl_meas, which follows.
            WriteRegister(CtrlHumRegister, HumidityOnce);
            WriteRegister(ConfigRegister, 0);
            WriteRegister(CtrlMeasRegister, SampleOnceSleep);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    public IReadOnlyList<(string Quantity, EvValue Value)> Read()
    {
        WriteRegister(CtrlMeasRegister, SampleOnceForced);
        Thread.Sleep(MeasurementTime);
        for (int poll = 0; (ReadRegister(StatusRegister) & Measuring) != 0; poll++)
        {
            if (poll == StatusPolls)
            {
                throw new IOException($"the BME280 at 0x{_device.ConnectionSettings.DeviceAddress:x2} on I2C bus {_device.ConnectionSettings.BusId} " +
                    $"was still measuring {MeasurementTime.TotalMilliseconds + StatusPolls:F0} ms after it was started");
            }

            Thread.Sleep(1);
        }

        // press_msb … hum_lsb in one burst, so the three belong to the same measurement.
        Span<byte> data = stackalloc byte[8];
        ReadRegisters(DataRegister, data);
        var adcPressure = (data[0] << 12) | (data[1] << 4) | (data[2] >> 4);
        var adcTemperature = (data[3] << 12) | (data[4] << 4) | (data[5] >> 4);
        var adcHumidity = (data[6] << 8) | data[7];
        var (centiCelsius, fine) = _calibration.Temperature(adcTemperature);
        return
        [
            ("temperature", EvValue.Of(centiCelsius / 100m)),
            ("humidity", Of(_calibration.Humidity(adcHumidity, fine) / 1024m)),
            ("pressure", Of((decimal)_calibration.PressurePascals(adcPressure, fine) / 100m)),
        ];
    }

    public void Dispose() => _device.Dispose();

    private static EvValue Of(decimal value) => EvValue.Of(Math.Round(value, 2));

    private byte ReadRegister(byte register)
    {
        Span<byte> one = stackalloc byte[1];
        ReadRegisters(register, one);
        return one[0];
    }

    private void ReadRegisters(byte first, Span<byte> into) => _device.WriteRead([first], into);

    private void WriteRegister(byte register, byte value) => _device.Write([register, value]);
}
