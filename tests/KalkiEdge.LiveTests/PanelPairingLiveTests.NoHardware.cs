using System.Text.Json;
using KalkiEdge.LiveTests.Support;

namespace KalkiEdge.LiveTests;

/// <summary>
/// A panel configured on a board without its hardware: the real kalki-edge with a button on a GPIO chip and an LCD
/// on an I2C bus that this machine does not have (no fakes: the device nodes are simply absent). It says so once for
/// each and runs on: bridging the testbed's frames and serving /health.
/// </summary>
public sealed partial class PanelPairingLiveTests
{
    private const int MissingChip = 15; // the highest chip the panel section accepts
    private const int MissingBus = 31; // the highest I2C bus it accepts

    [Test]
    public void Without_its_gpio_chip_and_i2c_bus_the_appliance_says_so_once_each_and_runs_on_without_the_panel()
    {
        var gpio = $"/dev/gpiochip{MissingChip}";
        var i2c = $"/dev/i2c-{MissingBus}";
        Assert.That(File.Exists(gpio) || File.Exists(i2c), Is.False, $"this test needs a machine without {gpio} and {i2c}");
        var config = _configs.Write(_testbed, sections:
            $"data-dir: {Path.Combine(_configs.Dir, "no-hardware-data")}\n" +
            "management: {listen: \"127.0.0.1:0\"}\n" +
            $"panel: {{button: {{chip: {MissingChip}, pin: 17, pull: up, active: low}}, display: {{bus: {MissingBus}, address: 0x27, size: 16x2}}}}");

        using var appliance = ApplianceProcess.StartBridging(_testbed, config);
        Assert.That(appliance.WaitFor(l => l.Contains("management server on http://", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);

        Assert.That(_testbed.Probe("hue", "tcp", "192.0.2.100", "7", "--send", "hello"), "the bridge forwards a registered device's traffic");
        var health = Health(appliance);
        Assert.That(health.GetProperty("status").GetString(), Is.EqualTo("ok"), health.ToString());
        // Some panel ticks (4 a second) later: still one line each, still bridging.
        Assert.That(_testbed.Probe("wemo", "tcp", "192.0.2.100", "7", "--send", "hello"), "and still forwards, after the panel's timer ran");

        var result = appliance.Stop();
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var panelLines = result.Stdout.Split('\n').Where(l => l.Contains("panel:", StringComparison.Ordinal)).ToList();
        Assert.That(panelLines, Has.Count.EqualTo(2), "one line for each missing part, nothing more:\n" + string.Join('\n', panelLines));
        Assert.That(panelLines, Has.Exactly(1).EndsWith($"panel: no I2C bus {i2c}: running without the LCD (enable it with dtparam=i2c_arm=on)"));
        Assert.That(panelLines, Has.Exactly(1).EndsWith($"panel: no GPIO chip {gpio}: running without the button"));
        Assert.That(result.Stdout + result.Stderr, Does.Not.Contain("Unhandled exception"), "nothing escaped");
    }

    /// <summary>GET /health from inside the appliance's namespace, where its management server listens on loopback.</summary>
    private JsonElement Health(ApplianceProcess appliance)
    {
        var line = appliance.Stdout.Split('\n').First(l => l.Contains("management server on http://", StringComparison.Ordinal));
        var url = System.Text.RegularExpressions.Regex.Match(line, @"http://\S+").Value + "/health";
        var get = _testbed.Exec("app", TimeSpan.FromSeconds(30), "python3", "-c",
            "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=20).read().decode())", url);
        Assert.That(get.ExitCode, Is.Zero, get.ToString());
        return JsonDocument.Parse(get.Stdout).RootElement.Clone();
    }
}
