namespace KalkiEdge.Devices.Bme280;

/// <summary>
/// The BME280's register map (datasheet section 5.3) as the driver and the in-memory chip both address it; the
/// calibration blocks are <see cref="Bme280Calibration"/>'s.
/// </summary>
internal static class Bme280Registers
{
    public const byte ChipIdRegister = 0xD0;
    public const byte ResetRegister = 0xE0;
    public const byte CtrlHumRegister = 0xF2;
    public const byte StatusRegister = 0xF3;
    public const byte CtrlMeasRegister = 0xF4;
    public const byte ConfigRegister = 0xF5;

    /// <summary>press_msb … hum_lsb: the three raw readings of one measurement, 8 bytes.</summary>
    public const byte DataRegister = 0xF7;

    /// <summary>What <see cref="ChipIdRegister"/> holds on a BME280.</summary>
    public const byte ChipId = 0x60;

    /// <summary>The status register's bit set while a measurement runs.</summary>
    public const byte Measuring = 0b1000;
}
