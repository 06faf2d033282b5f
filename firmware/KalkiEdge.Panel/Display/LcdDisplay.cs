using System.Device.Gpio;
using System.Device.I2c;
using Iot.Device.CharacterLcd;
using Iot.Device.Pcx857x;

namespace KalkiEdge.Panel.Display;

/// <summary>
/// An HD44780 character LCD (16×2 or 20×4) behind a PCF8574 I2C backpack, through Iot.Device.Bindings. The
/// backpack's usual wiring: P0 RS, P1 RW, P2 E, P3 backlight, P4–P7 D4–D7.
/// </summary>
public sealed class LcdDisplay : ICharacterDisplay
{
    private readonly Hd44780 _lcd;

    private LcdDisplay(Hd44780 lcd, int columns, int rows)
    {
        _lcd = lcd;
        Columns = columns;
        Rows = rows;
    }

    public int Columns { get; }

    public int Rows { get; }

    /// <summary>Opens the display; throws (IOException and kin) when the bus or the backpack is not there.</summary>
    public static LcdDisplay Open(DisplaySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var i2c = I2cDevice.Create(new I2cConnectionSettings(settings.Bus, settings.Address));
        try
        {
            var backpack = new Pcf8574(i2c);
            var gpio = new GpioController(backpack);
            int[] data = [4, 5, 6, 7];
            Hd44780 lcd = settings.Rows == 4
                ? new Lcd2004(registerSelectPin: 0, enablePin: 2, dataPins: data, backlightPin: 3, backlightBrightness: 1f, readWritePin: 1, controller: gpio, shouldDispose: true)
                : new Lcd1602(registerSelectPin: 0, enablePin: 2, dataPins: data, backlightPin: 3, backlightBrightness: 1f, readWritePin: 1, controller: gpio, shouldDispose: true);
            lcd.Clear();
            return new LcdDisplay(lcd, settings.Columns, settings.Rows);
        }
        catch
        {
            i2c.Dispose();
            throw;
        }
    }

    public void Show(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        for (var row = 0; row < lines.Count; row++)
        {
            _lcd.SetCursorPosition(0, row);
            _lcd.Write(lines[row]);
        }
    }

    public void Dispose() => _lcd.Dispose();
}
