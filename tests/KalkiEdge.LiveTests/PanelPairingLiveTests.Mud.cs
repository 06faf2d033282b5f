using System.Text;
using KalkiEdge.LiveTests.Support;

namespace KalkiEdge.LiveTests;

/// <summary>
/// MUD (RFC 8520) on the live bridge: the maker's signed MUD file on a real HTTPS server in its own namespace
/// (reached by the appliance over a link of its own, TEST-NET-3), a device that boots with udhcpc announcing its
/// MUD URL in DHCP option 161, paired with the button; its egress allow-list is then the file's, in force through
/// the real bridge, and still after the appliance restarts with the MUD server gone (the store kept the file).
/// </summary>
public sealed partial class PanelPairingLiveTests
{
    [Test]
    public void A_device_announcing_its_mud_url_gets_the_signed_files_allow_list_and_keeps_it_after_a_restart()
    {
        var udoo = _testbed["udoo"];
        var device = "udoo-neo-" + udoo.Mac.Replace(":", "", StringComparison.Ordinal)[6..];
        var (maker, mudServer) = MudPublisher.Serve(_testbed, _configs.Dir);
        using var attacker = _testbed.StartServer("attacker", "cloud.py", _configs.Dir, "--port", "443", "--echo-port", "7");
        try
        {
            var url = $"https://{MudPublisher.ServerIp}:{mudServer.Ports[0]}/mud/neo.json";
            maker.Publish("neo", MudFiles.EchoOnly(url, "UDOO Neo"));
            var button = Path.Combine(_configs.Dir, "mud-button");
            Assert.That(BoundedProcess.Run(TimeSpan.FromSeconds(10), "mkfifo", "-m", "0600", button).ExitCode, Is.Zero);
            var config = _configs.Write(_testbed, leaveOut: new HashSet<string> { "udoo" }, sections:
                $"data-dir: {Path.Combine(_configs.Dir, "mud-data")}\n" +
                $"panel: {{button: {{pin: 17, pull: up, active: low, fifo: {button}}}, pairing: {{window: 60s}}, " +
                $"mud: {{fetch: true, signers: {maker.CaFile}, tls-roots: {maker.CaFile}, timeout: 20s}}}}");

            using (var appliance = ApplianceProcess.StartBridging(_testbed, config))
            {
                Assert.That(appliance.WaitFor(l => l.Contains("driven by the named pipe", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);
                Press(button, TimeSpan.FromMilliseconds(300));
                Assert.That(appliance.WaitFor(l => l.Contains("pairing window open", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);

                Boot("udoo", "udoo", "0xa1:" + Convert.ToHexString(Encoding.ASCII.GetBytes(url)));
                Announce("udoo", "_udoo._tcp", "UDOO Neo", "udoo");
                Assert.That(appliance.WaitFor(l => l.Contains("PAIR", StringComparison.Ordinal) && l.Contains("paired as udoo-neo", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);
                Assert.That(appliance.WaitFor(l => l.Contains($"{device}: mud {url}: the device's allow-list is now its 1 declared rules", StringComparison.Ordinal), Wait), Is.True,
                    $"the signed file fetched over HTTPS is in force\n{appliance.Stdout}\n{appliance.Stderr}");
                Assert.That(mudServer.Events("request").Select(e => (e.GetProperty("path").GetString(), e.GetProperty("status").GetInt32())),
                    Is.EquivalentTo(new[] { ("/mud/neo.json", 200), ("/mud/neo.p7s", 200) }), "the file and its signature, each fetched once");

                Assert.That(_testbed.Probe("udoo", "tcp", "192.0.2.100", "7", "--send", "hello"), "declared by the maker: the echo service of 192.0.2.100");
                Assert.That(appliance.Stop().ExitCode, Is.Zero);
                Assert.That(Quarantines(appliance.Stdout, device), Is.Empty, "the declared flow raised nothing that quarantines");
            }

            mudServer.Dispose(); // the restart must not need the maker's server: the store has the file
            using (var appliance = ApplianceProcess.StartBridging(_testbed, config))
            {
                Assert.That(appliance.WaitFor(l => l.Contains(device, StringComparison.Ordinal) && l.Contains($"mud {url}: the device's allow-list is now its 1 declared rules", StringComparison.Ordinal), Wait), Is.True,
                    $"the store's file in force again at start\n{appliance.Stdout}");
                Assert.That(_testbed.Probe("udoo", "tcp", "192.0.2.100", "7", "--send", "hello"), "after the restart: still declared");
                Assert.That(Quarantines(appliance.Stdout, device), Is.Empty);

                // The pack alone allows HTTPS to anyone; the maker declared only the echo service. Normal's egress-guard
                // reports the first packet outside the list and the pack quarantines the device (Attack: block-all).
                _testbed.Probe("udoo", "tcp", "192.0.2.200", "443");
                Assert.That(appliance.WaitFor(l => l.Contains(device, StringComparison.Ordinal) && l.Contains("-> Attack", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);
                Assert.That(Quarantines(appliance.Stdout, device), Has.Some.Contain("compromise"), $"the pack's rule for abnormal egress moved it\n{appliance.Stdout}");
                Assert.That(_testbed.Probe("udoo", "tcp", "192.0.2.200", "443", "--expect-fail"), "undeclared egress is blocked");
                Assert.That(appliance.Stop().ExitCode, Is.Zero);
            }
        }
        finally
        {
            mudServer.Dispose();
        }
    }

    /// <summary>The device's transitions to Attack the console said (udoo-neo's only way there from Normal is abnormal egress).</summary>
    private static List<string> Quarantines(string stdout, string device) =>
        [.. stdout.Split('\n').Where(l => l.Contains(device, StringComparison.Ordinal) && l.Contains("-> Attack", StringComparison.Ordinal))];
}
