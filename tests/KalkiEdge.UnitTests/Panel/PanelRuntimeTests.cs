using System.Device.Gpio;
using KalkiEdge.DataPlane;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Core;
using KalkiEdge.Panel;
using KalkiEdge.Panel.Button;
using KalkiEdge.Devices.Simulators;
using KalkiEdge.Panel.Display;
using KalkiEdge.Panel.Fingerprinting;
using KalkiEdge.Panel.Pairing;
using Microsoft.Extensions.Time.Testing;

namespace KalkiEdge.UnitTests.Panel;

/// <summary>The button driving the pairing window and the factory reset, and the reset's exact reach on disk.</summary>
public class PanelRuntimeTests
{
    private const int Pin = 17;

    [Test]
    public void Presses_open_and_extend_the_window_a_hold_cancels_it_and_the_lcd_counts_down()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var chip = new FakeGpioDriver();
        using var gpio = new GpioController(chip);
        var gestures = new ButtonGestures(time);
        var pairing = new DevicePairing(PairingSettings.Default, new Fingerprinter([], OuiTable.Shipped, "generic-iot", 60), new NoAdmission(), new NoAlerts());
        var lcd = new MemoryDisplay(16, 2);
        var log = new List<string>();
        var reset = new CountingReset();
        using var runtime = new PanelRuntime(new PanelScreen(lcd, TimeSpan.FromSeconds(4), time), gestures, pairing,
            () => new PanelStatus { PairingSeconds = pairing.Window.RemainingSeconds((time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10) }, reset, time, log.Add, settlePairing: true);
        using var button = new PanelButton(gpio, new ButtonSettings(0, Pin, GpioPull.Up, true, TimeSpan.FromMilliseconds(30)), gestures, time);
        runtime.Start();
        time.Advance(TimeSpan.FromSeconds(60));

        Press(chip, time, TimeSpan.FromMilliseconds(200));
        Assert.That(pairing.Window.RemainingSeconds(runtime.NowMicros), Is.EqualTo(120));
        Assert.That(lcd.Lines, Is.EqualTo(new[] { "PAIRING 120s    ", "none paired yet " }), "opening the window shows its countdown at once");
        time.Advance(TimeSpan.FromSeconds(33));
        Assert.That(pairing.Window.RemainingSeconds(runtime.NowMicros), Is.EqualTo(87));

        Press(chip, time, TimeSpan.FromMilliseconds(200));
        Assert.That(pairing.Window.RemainingSeconds(runtime.NowMicros), Is.EqualTo(207), "another press extends by a window");

        Press(chip, time, TimeSpan.FromSeconds(6));
        Assert.That(pairing.Window.IsOpen(runtime.NowMicros), Is.False);
        Assert.That(log, Has.Some.Contains("pairing window open").And.Some.Contains("pairing cancelled"));
        Assert.That(reset.Requests, Is.Zero);
    }

    [Test]
    public void The_confirmed_reset_gesture_requests_the_factory_reset_and_the_lcd_asks_for_confirmation()
    {
        var time = new FakeTimeProvider();
        var chip = new FakeGpioDriver();
        using var gpio = new GpioController(chip);
        var gestures = new ButtonGestures(time);
        var lcd = new MemoryDisplay(16, 2);
        var reset = new CountingReset();
        var seen = new List<ButtonGesture>();
        gestures.Gesture += seen.Add;
        var screen = new PanelScreen(lcd, TimeSpan.FromSeconds(4), time);
        using var runtime = new PanelRuntime(screen, gestures, null, () => new PanelStatus(), reset, time, _ => { }, settlePairing: false);
        using var button = new PanelButton(gpio, new ButtonSettings(0, Pin, GpioPull.Up, true, TimeSpan.FromMilliseconds(30)), gestures, time);
        runtime.Start();

        Press(chip, time, TimeSpan.FromSeconds(16));
        Assert.That(seen, Is.EqualTo(new[] { ButtonGesture.FactoryResetArmed }));
        Assert.That(screen.Page, Is.EqualTo(PanelPage.FactoryReset));
        Assert.That(lcd.Lines, Is.EqualTo(new[] { "FACTORY RESET?  ", "press to confirm" }));
        Assert.That(reset.Requests, Is.Zero);
        Press(chip, time, TimeSpan.FromMilliseconds(300));
        Assert.That(reset.Requests, Is.EqualTo(1));
    }

    [TestCase('p', ButtonGesture.Pair)]
    [TestCase('c', ButtonGesture.CancelPairing)]
    [TestCase('P', null)]
    [TestCase('r', null)]
    public void The_simulation_maps_its_keys_to_the_buttons_gestures(char key, ButtonGesture? gesture) =>
        Assert.That(PanelWiring.GestureOf(key), Is.EqualTo(gesture));

    [Test]
    public void A_factory_reset_erases_the_store_and_its_copies_and_nothing_else_at_the_next_start()
    {
        var dir = Directory.CreateTempSubdirectory("kalki-reset-").FullName;
        try
        {
            // The store, a snapshot an update's migration took, the store a restore set aside: the same accounts and history.
            var erased = new[] { "kalki-edge.db", "kalki-edge.db-wal", "kalki-edge.db-shm", "kalki-edge.db.schema-5", "before-restore/kalki-edge.db", "before-restore/kalki-edge.db-wal" };
            var kept = new[] { "tls.pfx", "signing.key", "keys/device-credentials.key", "packs/udoo-neo.yaml", "before-restore/keys/tls.key" };
            foreach (var name in erased.Concat(kept))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, name))!);
                File.WriteAllText(Path.Combine(dir, name), "x");
            }

            var restarts = 0;
            Assert.That(SiteDataReset.ApplyPending(dir, _ => { }), Is.False, "nothing requested, nothing erased");
            new SiteDataReset(dir, () => restarts++).Request();
            Assert.That(File.Exists(Path.Combine(dir, "kalki-edge.db")), Is.True, "the running appliance's store is not touched");
            var log = new List<string>();

            Assert.That(SiteDataReset.ApplyPending(dir, log.Add), Is.True);
            Assert.That(restarts, Is.EqualTo(1));
            Assert.That(Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order(), Is.EqualTo(kept.Order()));
            Assert.That(log.Single(), Does.Contain("factory reset").And.Contain("kalki-edge.db.schema-5").And.Contain(Path.Combine("before-restore", "kalki-edge.db")));
            Assert.That(SiteDataReset.ApplyPending(dir, _ => { }), Is.False, "done once");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Press(FakeGpioDriver chip, FakeTimeProvider time, TimeSpan duration) => ButtonPresses.Hold(chip, time, Pin, duration);

    private sealed class CountingReset : IFactoryReset
    {
        public int Requests { get; private set; }

        public void Request() => Requests++;
    }

    private sealed class NoAdmission : IDeviceAdmission
    {
        public AdmissionResult Admit(PairingVerdict verdict, Action<AdmissionResult> committed) => new(verdict, false, "test");
    }

    private sealed class NoAlerts : IAlertSink
    {
        public void Raise(Alert alert)
        {
        }
    }
}
