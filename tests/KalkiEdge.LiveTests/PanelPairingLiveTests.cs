using KalkiEdge.LiveTests.Support;

namespace KalkiEdge.LiveTests;

/// <summary>
/// Pairing on the live bridge: the real kalki-edge with its button's line on a named pipe (the GPIO edge is the only
/// fake; debounce, gestures, pairing window, fingerprinting and the runtime registry are the real ones), devices
/// that boot as real ones do (udhcpc's DHCP discovers, the kernel's ARP, mDNS announcements) in the testbed's
/// namespaces. Hue and WeMo are left out of the site config, so both start as unknown devices.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class PanelPairingLiveTests : TestbedFixture
{
    private const string Udhcpc = "/usr/sbin/udhcpc";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>Not a skip: make test installs udhcpc, so a machine without it is a broken set-up.</summary>
    [OneTimeSetUp]
    public void RequireUdhcpc() =>
        Assert.That(File.Exists(Udhcpc), Is.True, "udhcpc (Debian package udhcpc, installed by make test) plays the devices' DHCP clients");

    [Test]
    public void A_device_booting_in_the_window_the_button_opened_is_admitted_with_its_pack_and_others_stay_unknown()
    {
        var hue = _testbed["hue"];
        var wemo = _testbed["wemo"];
        var button = Path.Combine(_configs.Dir, "button");
        Assert.That(BoundedProcess.Run(TimeSpan.FromSeconds(10), "mkfifo", "-m", "0600", button).ExitCode, Is.Zero);
        var config = _configs.Write(_testbed, leaveOut: new HashSet<string> { "hue", "wemo" },
            sections: $"panel: {{button: {{pin: 17, pull: up, active: low, fifo: {button}}}, pairing: {{window: 60s}}}}");
        using var appliance = ApplianceProcess.StartBridging(_testbed, config);
        Assert.That(appliance.WaitFor(l => l.Contains("driven by the named pipe", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);

        // Before any press: a new device boots and stays an unknown device (dropped).
        Boot("wemo", "wemo");
        Assert.That(_testbed.Probe("wemo", "tcp", "192.0.2.100", "7", "--send", "hello", "--expect-fail"), "no window: WeMo stays unknown and dropped");

        Press(button, TimeSpan.FromMilliseconds(300));
        Assert.That(appliance.WaitFor(l => l.Contains("pairing window open", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);

        Boot("hue", "Philips-hue");
        Announce("hue", "_hue._tcp", "Philips Hue - 01000A", "Philips-hue");
        Assert.That(appliance.WaitFor(l => l.Contains("PAIR", StringComparison.Ordinal) && l.Contains(hue.Mac, StringComparison.Ordinal)
            && l.Contains("paired as philips-hue-bridge", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);
        Assert.That(_testbed.Probe("hue", "tcp", "192.0.2.100", "7", "--send", "hello"), "paired: the Hue bridge's Normal chain forwards its traffic");

        // A hold of five seconds closes the window: WeMo booting again is not admitted.
        Press(button, TimeSpan.FromSeconds(6));
        Assert.That(appliance.WaitFor(l => l.Contains("pairing cancelled", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);
        Boot("wemo", "wemo");
        Assert.That(_testbed.Probe("wemo", "tcp", "192.0.2.100", "7", "--send", "hello", "--expect-fail"), "after cancel: WeMo still unknown");

        var result = appliance.Stop();
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var lines = result.Stdout.Split('\n');
        foreach (var line in lines.Where(l => l.Contains("panel", StringComparison.Ordinal) || l.Contains("PAIR", StringComparison.Ordinal) || l.Contains("unknown-device", StringComparison.Ordinal)))
        {
            TestContext.Out.WriteLine(line);
        }

        Assert.Multiple(() =>
        {
            Assert.That(lines.Count(l => l.Contains(" PAIR ", StringComparison.Ordinal)), Is.EqualTo(1), "only the Hue bridge was paired (the console's PAIR lines; the journal's PAIRING events are the same results)");
            Assert.That(lines.Count(l => l.Contains("unknown-device", StringComparison.Ordinal) && l.Contains(wemo.Mac, StringComparison.Ordinal)), Is.EqualTo(1),
                "one unknown-device alert for WeMo's MAC, however often it tried");
            Assert.That(lines.Where(l => l.Contains("unknown-device", StringComparison.Ordinal)).Any(l => l.Contains(hue.Mac, StringComparison.Ordinal)), Is.False,
                "the Hue bridge was a candidate from its first frame, never an unknown device");
        });
    }

    /// <summary>Closes the contact (the line goes low against its pull-up) for <paramref name="hold"/>, then opens it.</summary>
    private static void Press(string pipe, TimeSpan hold)
    {
        using (var line = new FileStream(pipe, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
        {
            line.WriteByte((byte)'0');
        }

        Thread.Sleep(hold);
        using (var line = new FileStream(pipe, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
        {
            line.WriteByte((byte)'1');
        }
    }

    /// <summary>
    /// A device's DHCP client at boot: two DISCOVERs with its host name and <paramref name="options"/> (udhcpc's
    /// <c>-x OPT:VALUE</c>), no server answers (udhcpc -n gives up).
    /// </summary>
    private void Boot(string host, string hostName, params string[] options)
    {
        var dhcp = _testbed.Exec(host, TimeSpan.FromSeconds(30), [Udhcpc, "-i", "eth0", "-n", "-q", "-t", "2", "-T", "1", "-x", $"hostname:{hostName}", .. options.SelectMany(o => new[] { "-x", o }), "-s", "/bin/true"]);
        Assert.That(dhcp.Stderr + dhcp.Stdout, Does.Contain("broadcasting discover"), dhcp.ToString());
    }

    private void Announce(string host, string service, string instance, string hostName)
    {
        var (exit, result) = _testbed.Tool(host, "mdns_announce", "--service", service, "--instance", instance, "--host", hostName, "--count", "2");
        Assert.That(exit, Is.Zero, result.ToString());
    }
}
