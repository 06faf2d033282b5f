using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using KalkiEdge.Core;
using KalkiEdge.Panel;
using KalkiEdge.Panel.Button;
using KalkiEdge.Panel.Display;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Starts the field panel of a running appliance from the site config's <c>panel:</c> section: pairing, the
/// button on its GPIO line and the LCD on its I2C bus. Hardware that is not there (no /dev/gpiochipN, no
/// /dev/i2c-N, no backpack answering) costs one log line each and the appliance runs on without it. The
/// simulation draws the LCD in the terminal and takes the button from the keyboard instead.
/// </summary>
public sealed class PanelWiring : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private CancellationTokenSource? _keyboard;

    private PanelWiring()
    {
    }

    public PanelRuntime? Runtime { get; private set; }

    /// <summary>Null when the site config has no panel section (and it is not the simulation).</summary>
    public static PanelWiring? Start(EdgeAppliance appliance, PanelStatusSource status, bool simulation, TextWriter log, Action restart)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(log);
        var hasSection = appliance.Config.Sections.ContainsKey(PanelSettings.Section);
        if (!hasSection && !simulation)
        {
            return null;
        }

        var settings = PanelSettings.Read(appliance.Config.Sections, new DiagnosticBag()); // errors stopped the start already
        var wiring = new PanelWiring();
        var mud = settings.Mud.Folder is null && !settings.Mud.Fetch ? null : new Panel.Mud.MudSource(settings.Mud);
        var pairing = appliance.Pairing ?? appliance.EnablePairing(settings.Pairing, mud, log.WriteLine);
        var gestures = new ButtonGestures(TimeProvider.System);
        ICharacterDisplay? display = simulation ? new ConsoleDisplay(Console.Out, 16, 2) : settings.Display is { } d ? OpenDisplay(d, log) : null;
        var screen = display is null ? null : new PanelScreen(display, settings.Display?.Rotate ?? TimeSpan.FromSeconds(4), TimeProvider.System, log.WriteLine);
        if (display is not null)
        {
            wiring._owned.Add(display);
        }

        // Every pairing result is said on the console (the journal on a board), whatever else listens to it.
        var said = new Output.ConsoleObserver(log).OnPaired;
        pairing.Paired += said;
        wiring._owned.Add(new Unsubscribe(() => pairing.Paired -= said));
        var runtime = new PanelRuntime(screen, gestures, pairing, status.Snapshot, new SiteDataReset(appliance.Config.DataDir, restart), TimeProvider.System, log.WriteLine, settlePairing: !simulation);
        wiring.Runtime = runtime;
        if (!simulation && settings.Button is { } b && OpenButton(b, gestures, log) is { } button)
        {
            wiring._owned.Add(button);
        }

        if (simulation && !Console.IsInputRedirected)
        {
            wiring._keyboard = new CancellationTokenSource();
            var token = wiring._keyboard.Token;
            new Thread(() => Keyboard(runtime, token)) { IsBackground = true, Name = "panel-keyboard" }.Start();
            log.WriteLine("panel: the keyboard is the button: 'p' opens or extends the pairing window, 'c' cancels it");
        }

        runtime.Start();
        return wiring;
    }

    public void Dispose()
    {
        _keyboard?.Cancel();
        Runtime?.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    private static LcdDisplay? OpenDisplay(DisplaySettings settings, TextWriter log)
    {
        var node = $"/dev/i2c-{settings.Bus}";
        if (!File.Exists(node))
        {
            log.WriteLine($"panel: no I2C bus {node}: running without the LCD (enable it with dtparam=i2c_arm=on)");
            return null;
        }

        try
        {
            return LcdDisplay.Open(settings);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or PlatformNotSupportedException)
        {
            log.WriteLine($"panel: no LCD answers at {node} address 0x{settings.Address:x2} ({e.Message}): running without the LCD");
            return null;
        }
    }

    private static PanelButton? OpenButton(ButtonSettings settings, ButtonGestures gestures, TextWriter log)
    {
        if (settings.Fifo is { } fifo)
        {
            return OpenFifoButton(fifo, settings, gestures, log);
        }

        var node = $"/dev/gpiochip{settings.Chip}";
        if (!File.Exists(node))
        {
            log.WriteLine($"panel: no GPIO chip {node}: running without the button");
            return null;
        }

        GpioController? gpio = null;
        try
        {
            gpio = new GpioController(new LibGpiodDriver(settings.Chip));
            return new PanelButton(gpio, settings, gestures, TimeProvider.System);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or PlatformNotSupportedException or DllNotFoundException)
        {
            gpio?.Dispose();
            log.WriteLine($"panel: GPIO line {settings.Pin} on {node} cannot be used ({e.Message}): running without the button");
            return null;
        }
    }

    private static PanelButton? OpenFifoButton(string fifo, ButtonSettings settings, ButtonGestures gestures, TextWriter log)
    {
        GpioController? gpio = null;
        try
        {
            gpio = new GpioController(FifoGpioDriver.Open(fifo));
            var button = new PanelButton(gpio, settings, gestures, TimeProvider.System);
            log.WriteLine($"panel: the button's line is driven by the named pipe {fifo}");
            return button;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            gpio?.Dispose();
            log.WriteLine($"panel: button pipe cannot be used ({e.Message}): running without the button");
            return null;
        }
    }

    private static void Keyboard(PanelRuntime runtime, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            if (GestureOf(Console.ReadKey(intercept: true).KeyChar) is { } gesture)
            {
                runtime.Apply(gesture);
            }
        }
    }

    /// <summary>
    /// The simulation's keys for the button: 'p' a short press (open or extend the pairing window), 'c' a 5 s hold
    /// (cancel it). A factory reset has no key: it needs the power-on timing of the real button.
    /// </summary>
    internal static ButtonGesture? GestureOf(char key) => key switch
    {
        'p' => ButtonGesture.Pair,
        'c' => ButtonGesture.CancelPairing,
        _ => null,
    };

    private sealed class Unsubscribe(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
