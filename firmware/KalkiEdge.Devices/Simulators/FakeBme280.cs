using System.Buffers.Binary;
using System.Device.I2c;
using static KalkiEdge.Devices.Bme280.Bme280Registers;

namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// A BME280 in memory at the I2C edge: the chip's register file (chip id, factory calibration, control, status,
/// raw ADC data) behind <see cref="I2cDevice"/>, so the appliance's driver (and, in the tests, dotnet/iot's binding)
/// runs on it unchanged, compensation included. Each measurement (a write of forced mode to ctrl_meas, or a burst read of the data in normal mode)
/// takes the environment from <see cref="Environment"/> and stores the raw ADC values the datasheet's compensation
/// turns back into it (found by bisection over the ADC range). <see cref="Answering"/> false makes the chip vanish
/// from the bus (every transfer fails as a missing device does).
/// </summary>
public sealed class FakeBme280 : I2cDevice
{
    // A factory calibration as a real chip carries it (the datasheet's worked example for T and P).
    private const ushort T1 = 27504;
    private const short T2 = 26435, T3 = -1000;
    private const ushort P1 = 36477;
    private const short P2 = -10685, P3 = 3024, P4 = 2855, P5 = 140, P6 = -7, P7 = 15500, P8 = -14600, P9 = 6000;
    private const byte H1 = 75, H3 = 0;
    private const short H2 = 362, H4 = 313, H5 = 50;
    private const sbyte H6 = 30;

    private readonly Lock _sync = new();
    private readonly byte[] _registers = new byte[256];
    private byte _pointer;

    public FakeBme280(Func<(double Celsius, double HumidityPercent, double PressureHectopascals)> environment, int bus = 1, int address = 0x76)
    {
        Environment = environment ?? throw new ArgumentNullException(nameof(environment));
        ConnectionSettings = new I2cConnectionSettings(bus, address);
        _registers[ChipIdRegister] = ChipId;
        WriteCalibration();
    }

    /// <summary>What the chip senses: temperature (°C), relative humidity (%), pressure (hPa).</summary>
    public Func<(double Celsius, double HumidityPercent, double PressureHectopascals)> Environment { get; set; }

    /// <summary>False: the chip no longer answers (unplugged, bus fault).</summary>
    public bool Answering { get; set; } = true;

    /// <summary>Measurements taken so far.</summary>
    public int Measurements { get; private set; }

    public override I2cConnectionSettings ConnectionSettings { get; }

    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    public override void Read(Span<byte> buffer)
    {
        lock (_sync)
        {
            Check();
            if (_pointer == DataRegister && (_registers[CtrlMeasRegister] & 0b11) == 0b11)
            {
                Measure(); // normal mode: the chip measures continuously; a burst read sees the latest
            }

            for (int i = 0; i < buffer.Length; i++)
            {
                buffer[i] = _registers[_pointer];
                _pointer = (byte)(_pointer + 1);
            }
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_sync)
        {
            Check();
            if (buffer.IsEmpty)
            {
                return;
            }

            _pointer = buffer[0];
            for (int i = 1; i < buffer.Length; i++)
            {
                Store(_pointer, buffer[i]);
                _pointer = (byte)(_pointer + 1);
            }
        }
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    private void Check()
    {
        if (!Answering)
        {
            throw new IOException($"no device answers at 0x{ConnectionSettings.DeviceAddress:x2} on I2C bus {ConnectionSettings.BusId}");
        }
    }

    private void Store(byte register, byte value)
    {
        switch (register)
        {
            case ResetRegister when value == 0xB6:
                _registers[CtrlHumRegister] = _registers[CtrlMeasRegister] = _registers[ConfigRegister] = 0;
                break;
            case CtrlHumRegister or ConfigRegister:
                _registers[register] = value;
                break;
            case CtrlMeasRegister:
                _registers[register] = value;
                if ((value & 0b11) is 0b01 or 0b10)
                {
                    // Forced mode: one measurement, then back to sleep (the status bit is never seen set here).
                    Measure();
                    _registers[CtrlMeasRegister] = (byte)(value & 0b1111_1100);
                }

                break;
            default:
                break; // read-only registers ignore writes, as on the chip
        }
    }

    private void Measure()
    {
        Measurements++;
        var (celsius, humidity, hpa) = Environment();
        var adcT = Bisect(0, (1 << 20) - 1, adc => Temperature(adc).Celsius, celsius);
        var fine = Temperature(adcT).Fine;
        var adcP = Bisect(0, (1 << 20) - 1, adc => -PressureHpa(adc, fine), -hpa);
        var adcH = Bisect(0, 0xFFFF, adc => Humidity(adc, fine), humidity);
        var data = _registers.AsSpan(DataRegister, 8);
        Raw20(data[0..3], adcP);
        Raw20(data[3..6], adcT);
        BinaryPrimitives.WriteUInt16BigEndian(data[6..8], (ushort)adcH);
        _registers[StatusRegister] = 0;
    }

    /// <summary>The smallest ADC value in [lo, hi] whose compensated value reaches <paramref name="target"/> (f increasing).</summary>
    private static int Bisect(int lo, int hi, Func<int, double> f, double target)
    {
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (f(mid) < target)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static void Raw20(Span<byte> three, int adc)
    {
        three[0] = (byte)(adc >> 12);
        three[1] = (byte)(adc >> 4);
        three[2] = (byte)((adc & 0xF) << 4);
    }

    // The datasheet's compensation formulas (section 8.1), used only to find the raw values.
    private static (double Celsius, int Fine) Temperature(int adc)
    {
        var var1 = ((adc / 16384.0) - (T1 / 1024.0)) * T2;
        var var2 = (adc / 131072.0) - (T1 / 8192.0);
        var2 *= var2 * T3;
        return ((var1 + var2) / 5120.0, (int)(var1 + var2));
    }

    private static double PressureHpa(int adc, int fine)
    {
        long var1 = fine - 128000L;
        long var2 = var1 * var1 * P6;
        var2 += (var1 * P5) << 17;
        var2 += (long)P4 << 35;
        var1 = ((var1 * var1 * P3) >> 8) + ((var1 * P2) << 12);
        var1 = (((1L << 47) + var1) * P1) >> 33;
        long p = 1048576 - adc;
        p = (((p << 31) - var2) * 3125) / var1;
        var1 = (P9 * (p >> 13) * (p >> 13)) >> 25;
        var2 = (P8 * p) >> 19;
        p = ((p + var1 + var2) >> 8) + ((long)P7 << 4);
        return p / 256.0 / 100.0;
    }

    private static double Humidity(int adc, int fine)
    {
        double h = fine - 76800.0;
        h = (adc - ((H4 * 64.0) + (H5 / 16384.0 * h))) * (H2 / 65536.0 * (1.0 + (H6 / 67108864.0 * h * (1.0 + (H3 / 67108864.0 * h)))));
        h *= 1.0 - (H1 * h / 524288.0);
        return Math.Clamp(h, 0, 100);
    }

    private void WriteCalibration()
    {
        var r = _registers.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(r[0x88..], T1);
        BinaryPrimitives.WriteInt16LittleEndian(r[0x8A..], T2);
        BinaryPrimitives.WriteInt16LittleEndian(r[0x8C..], T3);
        BinaryPrimitives.WriteUInt16LittleEndian(r[0x8E..], P1);
        short[] p = [P2, P3, P4, P5, P6, P7, P8, P9];
        for (int i = 0; i < p.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(r[(0x90 + (2 * i))..], p[i]);
        }

        r[0xA1] = H1;
        BinaryPrimitives.WriteInt16LittleEndian(r[0xE1..], H2);
        r[0xE3] = H3;
        // H4 is 0xE4[7:0] << 4 | 0xE5[3:0]; H5 is 0xE6[7:0] << 4 | 0xE5[7:4].
        r[0xE4] = (byte)(H4 >> 4);
        r[0xE5] = (byte)((H4 & 0xF) | ((H5 & 0xF) << 4));
        r[0xE6] = (byte)(H5 >> 4);
        r[0xE7] = (byte)H6;
    }
}
