using System.Buffers.Binary;

namespace KalkiEdge.Devices.Bme280;

/// <summary>
/// A BME280's factory trimming parameters (registers 0x88–0xA1 and 0xE1–0xE7) and the datasheet's compensation of
/// its raw readings: temperature in 32-bit integers (0.01 °C steps), pressure in floating point, humidity in 32-bit
/// integers (1/1024 % steps), the variants Bosch gives in sections 4.2.3 and 8.1 of the datasheet. The temperature's
/// fine value feeds the other two, as on the chip.
/// </summary>
public sealed record Bme280Calibration(
    ushort T1, short T2, short T3,
    ushort P1, short P2, short P3, short P4, short P5, short P6, short P7, short P8, short P9,
    byte H1, short H2, byte H3, short H4, short H5, sbyte H6)
{
    /// <summary>The first block's start and length (dig_T1 … dig_H1).</summary>
    public const byte FirstRegister = 0x88;
    public const int FirstLength = 26;

    /// <summary>The second block's start and length (dig_H2 … dig_H6).</summary>
    public const byte SecondRegister = 0xE1;
    public const int SecondLength = 7;

    /// <summary>Reads the parameters from the two register blocks as burst-read from the chip.</summary>
    public static Bme280Calibration Parse(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        if (first.Length < FirstLength || second.Length < SecondLength)
        {
            throw new ArgumentException($"BME280 calibration needs {FirstLength} + {SecondLength} bytes, got {first.Length} + {second.Length}");
        }

        return new Bme280Calibration(
            BinaryPrimitives.ReadUInt16LittleEndian(first), Signed(first, 2), Signed(first, 4),
            BinaryPrimitives.ReadUInt16LittleEndian(first[6..]), Signed(first, 8), Signed(first, 10), Signed(first, 12),
            Signed(first, 14), Signed(first, 16), Signed(first, 18), Signed(first, 20), Signed(first, 22),
            first[25],
            BinaryPrimitives.ReadInt16LittleEndian(second), second[2],
            // dig_H4 is 0xE4 as bits 11:4 and 0xE5's low nibble; dig_H5 is 0xE6 as bits 11:4 and 0xE5's high nibble
            // (both signed 12-bit, so the high byte is taken signed).
            (short)(((sbyte)second[3] << 4) | (second[4] & 0x0F)),
            (short)(((sbyte)second[5] << 4) | (second[4] >> 4)),
            (sbyte)second[6]);
    }

    private static short Signed(ReadOnlySpan<byte> block, int offset) => BinaryPrimitives.ReadInt16LittleEndian(block[offset..]);

    /// <summary>Temperature in hundredths of a °C and the fine value the other compensations take.</summary>
    public (int CentiCelsius, int Fine) Temperature(int adc)
    {
        var var1 = (((adc >> 3) - (T1 << 1)) * T2) >> 11;
        var d = (adc >> 4) - T1;
        var var2 = (((d * d) >> 12) * T3) >> 14;
        var fine = var1 + var2;
        return (((fine * 5) + 128) >> 8, fine);
    }

    /// <summary>Pressure in pascals (0 where the parameters would divide by zero: no valid chip).</summary>
    public double PressurePascals(int adc, int fine)
    {
        var var1 = (fine / 2.0) - 64000.0;
        var var2 = var1 * var1 * P6 / 32768.0;
        var2 += var1 * P5 * 2.0;
        var2 = (var2 / 4.0) + (P4 * 65536.0);
        var1 = ((P3 * var1 * var1 / 524288.0) + (P2 * var1)) / 524288.0;
        var1 = (1.0 + (var1 / 32768.0)) * P1;
        if (var1 == 0.0)
        {
            return 0;
        }

        var p = 1048576.0 - adc;
        p = (p - (var2 / 4096.0)) * 6250.0 / var1;
        return p + (((P9 * p * p / 2147483648.0) + (p * P8 / 32768.0) + P7) / 16.0);
    }

    /// <summary>Relative humidity in 1/1024 %, within 0–100 %.</summary>
    public int Humidity(int adc, int fine)
    {
        var x = fine - 76800;
        var scaled = ((adc << 14) - (H4 << 20) - (H5 * x) + 16384) >> 15;
        var factor = ((((((x * H6) >> 10) * (((x * H3) >> 11) + 32768)) >> 10) + 2097152) * H2 + 8192) >> 14;
        x = scaled * factor;
        x -= ((((x >> 15) * (x >> 15)) >> 7) * H1) >> 4;
        return Math.Clamp(x, 0, 419430400) >> 12;
    }
}
