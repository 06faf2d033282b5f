using KalkiEdge.LiveTests.Support;

namespace KalkiEdge.LiveTests;

/// <summary>`kalki-edge run` with interfaces that cannot be bridged: exit 1 and a message saying what to fix. No testbed needed.</summary>
[TestFixture]
public sealed class LiveRunRefusalTests
{
    private LiveConfig _configs = null!;

    [SetUp]
    public void SetUp() => _configs = new LiveConfig();

    [TearDown]
    public void TearDown() => _configs.Dispose();

    [Test]
    public void A_missing_interface_is_named_with_the_available_ones()
    {
        var result = Run(Config("interfaces: {devices: [ke-nosuch0], uplink: lo}"));

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("interface 'ke-nosuch0' does not exist").And.Match(@"available: [^)]*\blo\b").And.Contain("refusing to start"));
    }

    [Test]
    public void A_bad_interfaces_section_is_reported_with_file_and_line()
    {
        var path = Config("interfaces:\n  devices: [dev0]\n  uplink: dev0\n  colour: blue");

        var result = Run(path);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain($"{path}:5:").And.Contain("cannot be both a device port and the uplink")
            .And.Contain("colour"));
    }

    [Test]
    public void Without_capture_privileges_the_fix_is_named()
    {
        if (Testbed.WhyUnavailable() is { } why)
        {
            Assert.Ignore($"needs root to drop privileges with setpriv: {why}");
        }

        var config = Config("interfaces: {devices: [lo], uplink: ke-nosuch1}");
        var result = BoundedProcess.Run(TimeSpan.FromSeconds(60), "setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", .. Firmware.Command("run", "--config", config)]);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("needs root or the CAP_NET_RAW capability"));
    }

    [Test]
    public void A_device_address_inside_no_devices_reach_and_not_assigned_is_refused()
    {
        var result = Run(Config("interfaces: {devices: [lo], uplink: ke-nosuch1, device-address: 198.51.100.77/24}"));

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("device-address 198.51.100.77/24 is inside no device's reach")
            .And.Contain("device-address 198.51.100.77/24 is not assigned to any interface: assign it to the device port (e.g. ip addr add 198.51.100.77/24 dev lo)")
            .And.Contain("refusing to start"));
    }

    private string Config(string interfaces)
    {
        var path = Path.Combine(_configs.Dir, "site.yaml");
        Directory.CreateDirectory(Path.Combine(_configs.Dir, "umboxes", "images"));
        File.WriteAllText(path, $"umboxes: {Path.Combine(_configs.Dir, "umboxes")}\ndevices: []\n{interfaces}\n");
        if (!OperatingSystem.IsWindows())
        {
            // Readable (and the directory writable) for the unprivileged run.
            File.SetUnixFileMode(_configs.Dir, (UnixFileMode)0b111_111_111); // the store creates data/ here
            File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        }
        return path;
    }

    private static ProcessResult Run(string config) => Firmware.Run(TimeSpan.FromSeconds(60), null, "run", "--config", config);
}
