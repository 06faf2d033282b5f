using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel;

namespace KalkiEdge.UnitTests.Panel;

public sealed class PanelSettingsTests
{
    [Test]
    public void Reads_button_display_and_pairing()
    {
        var panel = Read("""
            panel:
              button: {chip: 0, pin: 17, pull: up, active: low, debounce: 20ms}
              display: {bus: 1, address: 0x3f, size: 20x4, rotate: 3s}
              pairing: {window: 90s, max-candidates: 4, confidence: 70, observe: 10s}
            """, out var errors);

        Assert.That(errors, Is.Empty);
        Assert.Multiple(() =>
        {
            Assert.That(panel.Button, Is.EqualTo(new ButtonSettings(0, 17, GpioPull.Up, true, TimeSpan.FromMilliseconds(20))));
            Assert.That(panel.Display, Is.EqualTo(new DisplaySettings(1, 0x3f, 20, 4, TimeSpan.FromSeconds(3))));
            Assert.That(panel.Pairing, Is.EqualTo(new PairingSettings(TimeSpan.FromSeconds(90), 4, 70, TimeSpan.FromSeconds(10))));
        });
    }

    [Test]
    public void An_absent_section_means_no_panel_and_default_pairing()
    {
        var panel = Read("devices: []", out var errors);

        Assert.That(errors, Is.Empty);
        Assert.That((panel.Button, panel.Display, panel.Pairing.Window, panel.Pairing.MaxCandidates), Is.EqualTo(((ButtonSettings?)null, (DisplaySettings?)null, TimeSpan.FromSeconds(120), 8)));
    }

    [Test]
    public void An_unknown_key_is_reported_with_its_place_and_the_closest_known_key()
    {
        Read("""
            panel:
              button: {pin: 17, debounse: 20ms}
              dispaly: {address: 0x27}
            """, out var errors);

        Assert.That(errors.Select(e => e.ToString()), Has.Some.EqualTo("site.yaml:2:21: error: panel button: unknown argument 'debounse' (did you mean 'debounce'?)")
            .And.Some.EqualTo("site.yaml:3:3: error: panel: unknown argument 'dispaly' (did you mean 'display'?)"));
    }

    [TestCase("pin: 40", "pin 40 is not a GPIO line on the 40-pin header")]
    [TestCase("pin: 1", "pin 1 is not a GPIO line")]
    [TestCase("pin: -3", "pin -3 is not a GPIO line")]
    [TestCase("pin: two", "'pin' must be a whole number")]
    [TestCase("debounce: 20ms", "missing required argument 'pin'")]
    [TestCase("pin: 17, pull: up, active: high", "pull: up with active: high holds the idle line at its active level (it would read as active from the start)")]
    [TestCase("pin: 17, pull: sideways", "'pull' must be one of up, down, none")]
    [TestCase("pin: 17, debounce: 5s", "would swallow presses")]
    [TestCase("pin: 17, debounce: 20", "'debounce'")]
    public void Impossible_buttons_are_errors_on_their_line(string button, string message)
    {
        Read($"panel:\n  button: {{{button}}}\n", out var errors);

        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0].Message, Does.Contain(message));
        Assert.That(errors[0].Line, Is.EqualTo(2));
    }

    [Test]
    public void A_pull_that_holds_the_idle_line_active_is_an_error_at_the_active_value()
    {
        Read("panel:\n  button: {pin: 17, pull: up, active: high}\n", out var errors);

        Assert.That(errors.Single().ToString(), Is.EqualTo("site.yaml:2:39: error: panel button: pull: up with active: high holds the idle line at its active level (it would read as active from the start)"));
    }

    [Test]
    public void A_button_on_the_displays_i2c_lines_is_an_error()
    {
        Read("panel:\n  display: {bus: 1, address: 0x27}\n  button: {pin: 3}\n", out var errors);

        Assert.That(errors.Single().ToString(), Is.EqualTo("site.yaml:3:17: error: panel button: pin 3 is the I2C bus 1 SCL line the display uses"));
    }

    [TestCase("{bus: 1}", "missing required argument 'address'")]
    [TestCase("{address: 0x80}", "7-bit I2C address from 0x08 to 0x77")]
    [TestCase("{address: 0xZZ}", "7-bit I2C address")]
    [TestCase("{address: 0x27, size: 40x2}", "'size' must be one of 16x2, 20x4")]
    [TestCase("{address: 0x27, rotate: 100ms}", "'rotate' must be at least")]
    [TestCase("yes", "display must be a map")]
    public void Impossible_displays_are_errors_on_their_line(string display, string message)
    {
        Read($"panel:\n  display: {display}\n", out var errors);

        Assert.That(errors.Single().Message, Does.Contain(message));
        Assert.That(errors.Single().Line, Is.EqualTo(2));
    }

    [TestCase("{max-candidates: 0}", "'max-candidates' must be between 1 and 64")]
    [TestCase("{confidence: 101}", "'confidence' must be between 1 and 100")]
    [TestCase("{window: 1s}", "'window' must be at least")]
    public void Impossible_pairing_settings_are_errors(string pairing, string message)
    {
        Read($"panel:\n  pairing: {pairing}\n", out var errors);

        Assert.That(errors.Single().Message, Does.Contain(message));
    }

    private static PanelSettings Read(string yaml, out IReadOnlyList<Diagnostic> errors)
    {
        var diagnostics = new DiagnosticBag();
        var root = YamlArgs.Parse(yaml, "site.yaml", diagnostics) ?? throw new InvalidOperationException(string.Join("\n", diagnostics.Items));
        var sections = root.Entries.ToDictionary(e => e.Key.Text, e => e.Value);
        var panel = PanelSettings.Read(sections, diagnostics);
        errors = diagnostics.Items;
        return panel;
    }
}
