using KalkiEdge.LiveTests.Support;

namespace KalkiEdge.LiveTests;

/// <summary>
/// MUD (RFC 8520) announced over LLDP on the live bridge: during a pairing window the button opened, the Udoo
/// sends real LLDPDUs (built byte by byte by testbed/traffic/lldp_announce.py: its MUD URL in the organizationally
/// specific TLV of OUI 00-00-5E, subtype 1) before its DHCP discovers, which carry no option 161. The appliance
/// reads the URL from the frame, fetches the maker's signed file from a real HTTPS server and puts it in force:
/// the declared flow crosses the real bridge, and an undeclared one never does, from its first packet, while the
/// pack's rule still quarantines the device.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class MudLldpLiveTests : TestbedFixture
{
    private const string Udhcpc = "/usr/sbin/udhcpc";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>Not a skip: make test installs udhcpc, so a machine without it is a broken set-up.</summary>
    [OneTimeSetUp]
    public void RequireUdhcpc() =>
        Assert.That(File.Exists(Udhcpc), Is.True, "udhcpc (Debian package udhcpc, installed by make test) plays the device's DHCP client");

    [Test]
    public void A_device_announcing_its_mud_url_over_lldp_while_pairing_gets_the_makers_allow_list_enforced()
    {
        var udoo = _testbed["udoo"];
        var device = "udoo-neo-" + udoo.Mac.Replace(":", "", StringComparison.Ordinal)[6..];
        var (maker, mudServer) = MudPublisher.Serve(_testbed, _configs.Dir);
        using var served = mudServer;
        using var attacker = _testbed.StartServer("attacker", "cloud.py", _configs.Dir, "--port", "443", "--echo-port", "7");
        var url = $"https://{MudPublisher.ServerIp}:{mudServer.Ports[0]}/mud/neo.json";
        maker.Publish("neo", MudFiles.EchoOnly(url, "UDOO Neo"));
        var button = Path.Combine(_configs.Dir, "button");
        var eve = Path.Combine(_configs.Dir, "eve.json");
        Assert.That(BoundedProcess.Run(TimeSpan.FromSeconds(10), "mkfifo", "-m", "0600", button).ExitCode, Is.Zero);
        var config = _configs.Write(_testbed, leaveOut: new HashSet<string> { "udoo" }, sections:
            $"data-dir: {Path.Combine(_configs.Dir, "data")}\neve: {{file: {eve}}}\n" +
            $"panel: {{button: {{pin: 17, pull: up, active: low, fifo: {button}}}, pairing: {{window: 60s}}, " +
            $"mud: {{fetch: true, signers: {maker.CaFile}, tls-roots: {maker.CaFile}, timeout: 20s}}}}");

        using var appliance = ApplianceProcess.StartBridging(_testbed, config);
        Assert.That(appliance.WaitFor(l => l.Contains("driven by the named pipe", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);
        PressButton(button);
        Assert.That(appliance.WaitFor(l => l.Contains("pairing window open", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);

        // The board's first frames on the link: LLDP with its MUD URL, then DHCP and mDNS that name no MUD URL.
        var (lldpExit, lldp) = _testbed.Tool("udoo", "lldp_announce", "--mud-url", url, "--count", "2");
        Assert.That((lldpExit, lldp.GetProperty("sent").GetInt32()), Is.EqualTo((0, 2)), lldp.ToString());
        var dhcp = _testbed.Exec("udoo", TimeSpan.FromSeconds(30), Udhcpc, "-i", "eth0", "-n", "-q", "-t", "2", "-T", "1", "-x", "hostname:udoo", "-s", "/bin/true");
        Assert.That(dhcp.Stderr + dhcp.Stdout, Does.Contain("broadcasting discover"), dhcp.ToString());
        var (mdnsExit, mdns) = _testbed.Tool("udoo", "mdns_announce", "--service", "_udoo._tcp", "--instance", "UDOO Neo", "--host", "udoo", "--count", "2");
        Assert.That(mdnsExit, Is.Zero, mdns.ToString());

        Assert.That(appliance.WaitFor(l => l.Contains("PAIR", StringComparison.Ordinal) && l.Contains("paired as udoo-neo", StringComparison.Ordinal), Wait), Is.True, appliance.Stdout);
        Assert.That(appliance.WaitFor(l => l.Contains($"{device}: mud {url}: the device's allow-list is now its 1 declared rules", StringComparison.Ordinal), Wait), Is.True,
            $"the URL read from LLDP led to the signed file, in force\n{appliance.Stdout}\n{appliance.Stderr}");
        Assert.That(mudServer.Events("request").Select(e => (e.GetProperty("path").GetString(), e.GetProperty("status").GetInt32())),
            Is.EquivalentTo(new[] { ("/mud/neo.json", 200), ("/mud/neo.p7s", 200) }), "the file and its signature, each fetched once");

        Assert.That(_testbed.Probe("udoo", "tcp", "192.0.2.100", "7", "--send", "hello"), "declared by the maker: the echo service of 192.0.2.100");

        // HTTPS anywhere is in the pack's list, not in the maker's: a server listens there, yet the connection never opens.
        Assert.That(_testbed.Probe("udoo", "tcp", "192.0.2.200", "443", "--expect-fail"), "undeclared egress is dropped from its first packet");
        Assert.That(appliance.WaitFor(l => l.Contains(device, StringComparison.Ordinal) && l.Contains("-> Attack", StringComparison.Ordinal), Wait), Is.True,
            $"the pack's rule for abnormal egress still quarantines it\n{appliance.Stdout}");
        var result = appliance.Stop();
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var egress = Lines(File.ReadAllText(eve), device, "abnormal-egress").Where(l => l.Contains("\"event_type\":\"alert\"", StringComparison.Ordinal)).ToList();
        Assert.That(egress, Has.Count.EqualTo(1), $"one report: the SYN and its retries are one alert window\n{string.Join('\n', egress)}");
        Assert.That(egress[0], Does.Contain("192.0.2.200:443").And.Contain("dropped"), "the first packet of the undeclared flow was dropped, not forwarded");
    }

    private static List<string> Lines(string text, string device, string word) =>
        [.. text.Split('\n').Where(l => l.Contains(device, StringComparison.Ordinal) && l.Contains(word, StringComparison.Ordinal))];

    /// <summary>Closes the button's contact (the line goes low against its pull-up) for a short press, then opens it.</summary>
    private static void PressButton(string pipe)
    {
        foreach (var level in "01")
        {
            using var line = new FileStream(pipe, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            line.WriteByte((byte)level);
            if (level == '0')
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(300)); // the press itself: longer than the debounce, far below a hold
            }
        }
    }
}
