using System.Globalization;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.LiveTests.Support;
using KalkiEdge.TestKit;

namespace KalkiEdge.LiveTests;

/// <summary>
/// The live bridge: the real kalki-edge bridging between the testbed's IoT LAN and uplink. One testbed per fixture,
/// one appliance process per test (SIGTERM at the end of each). Control-plane scenarios (an attack moves a
/// device's state and the new chain takes effect on live traffic) follow the Hue one: start the appliance with
/// the device's pack, run the attack tool, wait for the STATE line, then probe.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class LiveBridgeTests : TestbedFixture
{
    private static readonly TimeSpan AlertWait = TimeSpan.FromSeconds(15);

    /// <summary>Each test starts from empty ARP caches: a spoofing test poisons the uplink hosts' caches directly
    /// (they share the facility switch with the attacker, which no appliance can prevent).</summary>
    [SetUp]
    public void FlushArpCaches()
    {
        foreach (var host in _testbed.Hosts)
        {
            var flush = _testbed.Exec(host.Name, TimeSpan.FromSeconds(10), "ip", "neigh", "flush", "all");
            Assert.That(flush.ExitCode, Is.Zero, flush.ToString());
        }
    }

    [Test]
    public void Device_and_cloud_talk_both_ways_through_the_bridge()
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed));

        AssertTalkBothWays();

        var result = appliance.Stop();
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Match(@"\d+ frames: \d+ forwarded").And.Contain("dev0").And.Contain("up0"));
        Assert.That(result.Stdout, Does.Match(@"garbage collector while bridging \(\d+ s\): \d+ bytes allocated .*collections gen0 \d+, gen1 \d+, gen2 \d+, managed threads paused [\d.]+ ms"),
            "the stop says whether collections stopped the capture threads");
        Assert.That(result.Stdout, Does.Contain("WARNING: packet signing is OFF"), "signing off is said loudly at start");
    }

    [TestCase("batched", "auto")]
    [TestCase("epoch", "off")]
    [TestCase("epoch", "on")]
    public void With_signing_every_frame_is_signed_and_verified_and_traffic_flows_both_ways(string mode, string thread)
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed, sections: _configs.Signing(mode, thread)));

        AssertTalkBothWays();

        var result = appliance.Stop();
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var counters = System.Text.RegularExpressions.Regex.Match(result.Stdout, $@"packet signing \({mode}\): (\d+) frames signed in (\d+) shim calls(?: \(\d+ batch roots\))?, (\d+) verified and sent \(\d+ verify calls\), (\d+) dropped");
        Assert.That(counters.Success, Is.True, result.ToString());
        TestContext.Out.WriteLine(counters.Value);
        bool ownThread = thread == "on" || (thread == "auto" && Environment.ProcessorCount >= KalkiEdge.Assurance.Signing.SigningOptions.CoresForSigningThreads);
        long signed = long.Parse(counters.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        long verified = long.Parse(counters.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Multiple(() =>
        {
            Assert.That(signed, Is.GreaterThan(20), "every probe's frames in both directions went through the signing stage");
            Assert.That(verified, Is.EqualTo(signed));
            Assert.That(counters.Groups[4].Value, Is.EqualTo("0"), "nothing dropped");
            Assert.That(result.Stdout, Does.Not.Contain("signature-failure"));
            Assert.That(result.Stdout, Does.Contain(ownThread ? "tagged on a signing thread per capture thread" : "tagged on the capture threads"), "the section's thread setting decides where frames are tagged");
        });
    }

    /// <summary>
    /// The first reaction of a run is as fast as any other: the warm-up played (it used to skip silently for sites with
    /// their own umboxes), and the threads every reaction passes through (capture, control loop) run under SCHED_FIFO,
    /// so a busy CPU does not delay them by milliseconds.
    /// </summary>
    [Test]
    public void Warms_up_and_runs_the_enforcement_threads_at_a_real_time_priority()
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed));
        var scheduling = new Dictionary<string, (int Policy, int Priority)>();
        foreach (var task in Directory.GetDirectories($"/proc/{appliance.Pid}/task"))
        {
            // proc_pid_stat(5): field N is token N-3 after the command name; 40 = rt_priority, 41 = policy (1 = SCHED_FIFO).
            var stat = File.ReadAllText(Path.Combine(task, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            scheduling[File.ReadAllText(Path.Combine(task, "comm")).Trim()] = (int.Parse(fields[41 - 3], CultureInfo.InvariantCulture), int.Parse(fields[40 - 3], CultureInfo.InvariantCulture));
        }

        Assert.Multiple(() =>
        {
            foreach (var thread in (string[])["control-plane", "capture dev0", "capture up0"])
            {
                Assert.That(scheduling.GetValueOrDefault(thread), Is.EqualTo((1, CaptureThreadPriority.DefaultRealtimePriority)), thread);
            }

            Assert.That(scheduling.GetValueOrDefault("store-writer").Policy, Is.Zero, "the store writer is not on the reaction path");
            Assert.That(scheduling, Does.ContainKey("event-hub"), "the sinks get events on the hub's own thread");
            Assert.That(scheduling.GetValueOrDefault("event-hub").Policy, Is.Zero, "the event sinks are not on the reaction path");
        });
        var result = appliance.Stop();
        Assert.That(result.Stdout, Does.Contain("kalki-edge: warmed up the data and control planes").And.Not.Contain("warm-up incomplete"));
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
    }

    /// <summary>
    /// Each port's capture ring is written once, page by page, before any frame: on an idle testbed nothing else writes
    /// to it from user space, so every page the kernel counts dirty was written by the start. A ring left untouched
    /// costs the capture thread a page-table trap per page in its first pass and lost frames at the start of traffic.
    /// </summary>
    [Test]
    public void Writes_every_page_of_the_capture_rings_before_the_first_frame()
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed));
        var rings = MappedPages.Of(appliance.Pid.ToString(CultureInfo.InvariantCulture), path => path.StartsWith("socket:[", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(rings, Has.Count.EqualTo(2), "one ring per port");
            foreach (var ring in rings)
            {
                Assert.That(ring.DirtyBytes, Is.EqualTo(ring.ResidentBytes).And.GreaterThan(0), ring.Path);
            }
        });
        var result = appliance.Stop();
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
    }

    [Test]
    public void Nothing_crosses_while_the_appliance_is_not_running()
    {
        AssertCutOff("before the appliance ever ran");

        using (var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed)))
        {
            Assert.That(_testbed.Probe("hue", "ping", "192.0.2.100", "--count", "2"), "the bridge works while running");
            Assert.That(appliance.Stop().ExitCode, Is.Zero);
        }

        AssertCutOff("after SIGTERM");
    }

    [Test]
    public void Refuses_to_start_when_the_kernel_could_forward_around_the_chains()
    {
        var config = _configs.Write(_testbed);
        _testbed.Exec("app", TimeSpan.FromSeconds(10), "sysctl", "-qw", "net.ipv4.ip_forward=1");
        try
        {
            AssertRefusesToStart(config, Does.Contain("net.ipv4.ip_forward = 1").And.Contain("refusing to start"));
        }
        finally
        {
            _testbed.Exec("app", TimeSpan.FromSeconds(10), "sysctl", "-qw", "net.ipv4.ip_forward=0");
        }

        _testbed.Call("bridge-baseline", "on");
        try
        {
            AssertRefusesToStart(config, Does.Contain("dev0 is enslaved to kbr0").And.Contain("up0 is enslaved to kbr0"));
        }
        finally
        {
            _testbed.Call("bridge-baseline", "off");
        }
    }

    /// <summary>kalki-edge on <paramref name="config"/> must refuse to start: exit 1, the reason on stderr.</summary>
    private void AssertRefusesToStart(string config, NUnit.Framework.Constraints.IResolveConstraint reason)
    {
        using var appliance = ApplianceProcess.Start(_testbed, config);
        var result = appliance.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, reason);
    }

    [Test]
    public void A_blocked_device_is_cut_off_while_another_keeps_working()
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed, chains: new Dictionary<string, string> { ["udoo"] = "block-all" }));

        Assert.Multiple(() =>
        {
            Assert.That(_testbed.Probe("udoo", "ping", "192.0.2.100", "--count", "2", "--expect-fail"), "udoo -> cloud must be blocked");
            Assert.That(_testbed.Probe("cloud", "tcp", "192.0.2.12", "22", "--expect-fail"), "cloud -> udoo must be blocked");
            Assert.That(_testbed.Probe("hue", "ping", "192.0.2.100", "--count", "2"), "hue keeps working");
            Assert.That(_testbed.Probe("cloud", "http", "http://192.0.2.10/description.xml", "--expect-status", "200"), "cloud -> hue keeps working");
        });
        Assert.That(appliance.Stop().ExitCode, Is.Zero);
    }

    [Test]
    public void Arp_spoofing_a_devices_address_from_the_uplink_is_detected_and_kept_off_the_lan()
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed));
        var hue = _testbed["hue"];
        // wemo learns hue's MAC on the LAN (this never crosses the appliance), so a poisoning ARP that did cross
        // would visibly rewrite that entry: the attack runs for 2 s, longer than Linux's 1 s ARP locktime.
        Assert.That(_testbed.Probe("wemo", "ping", hue.Ip, "--count", "1"), "wemo -> hue on the LAN");

        var (exit, result) = _testbed.Tool("attacker", "arp_spoof", "--claim-ip", hue.Ip, "--count", "20", "--rate", "10", "--duration", "5");

        Assert.That(exit, Is.Zero, result.ToString());
        Assert.That(appliance.WaitFor(l => l.Contains("ALERT", StringComparison.Ordinal) && l.Contains("arp-spoof", StringComparison.Ordinal) && l.Contains(hue.Ip, StringComparison.Ordinal), AlertWait),
            $"no arp-spoof alert\n{appliance.Stdout}");
        var neighbour = _testbed.Exec("wemo", TimeSpan.FromSeconds(10), "ip", "neigh", "show", hue.Ip).Stdout;
        Assert.That(neighbour, Does.Contain(hue.Mac).And.Not.Contain(_testbed["attacker"].Mac), "the spoofed ARP must not reach the LAN");
        Assert.That(appliance.Stop().Stdout, Does.Match(@"\b[1-9]\d* spoofed"));
    }

    [Test]
    public void Mac_spoofing_a_device_from_the_uplink_is_detected()
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed));
        var hue = _testbed["hue"];

        var (exit, result) = _testbed.Tool("attacker", "mac_spoof", "--spoof-mac", hue.Mac, "--target", "192.0.2.11", "--count", "5", "--duration", "5");

        Assert.That(exit, Is.Zero, result.ToString());
        Assert.That(appliance.WaitFor(l => l.Contains("ALERT", StringComparison.Ordinal) && l.Contains("mac-spoof", StringComparison.Ordinal) && l.Contains("hue", StringComparison.Ordinal), AlertWait),
            $"no mac-spoof alert\n{appliance.Stdout}");
        Assert.That(appliance.Stop().ExitCode, Is.Zero);
    }

    [Test]
    public void A_flood_from_a_hundred_thousand_macs_leaves_memory_bounded_and_devices_reachable()
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed));
        Assert.That(_testbed.Probe("hue", "ping", "192.0.2.100", "--count", "2"), "bridge works before the flood");
        // Warm-up: touch the capture rings and let the JIT and the runtime settle before the baseline.
        Flood("attacker", 20_000, seed: 7);
        Flood("wemo", 20_000, seed: 8);
        GC.KeepAlive(_testbed.Probe("hue", "ping", "192.0.2.100", "--count", "1"));
        long rssBefore = appliance.MemoryKb("VmRSS"), anonBefore = appliance.MemoryKb("RssAnon");

        Flood("attacker", 100_000, seed: 1);
        Flood("wemo", 100_000, seed: 2);

        long rssAfter = appliance.MemoryKb("VmRSS"), anonAfter = appliance.MemoryKb("RssAnon");
        var growth = $"VmRSS {rssBefore} -> {rssAfter} kB, RssAnon {anonBefore} -> {anonAfter} kB";
        TestContext.Out.WriteLine(growth);
        Assert.Multiple(() =>
        {
            Assert.That(rssAfter - rssBefore, Is.LessThan(16 * 1024), growth);
            Assert.That(_testbed.Probe("hue", "ping", "192.0.2.100", "--count", "3"), "hue -> cloud after the flood");
            Assert.That(_testbed.Probe("cloud", "http", "http://192.0.2.10/description.xml", "--expect-status", "200"), "cloud -> hue after the flood");
        });
        var stopped = appliance.Stop();
        Assert.That(stopped.ExitCode, Is.Zero, stopped.ToString());
        Assert.That(stopped.Stdout, Does.Match(@"\b\d{5,} from unknown devices"), "the device-side flood reached the engine as unknown devices");
    }

    [Test]
    public void A_hue_token_brute_force_restricts_the_bridge_to_reads_on_the_live_traffic()
    {
        using var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed, types: new Dictionary<string, string> { ["hue"] = "philips-hue-bridge" }));
        var token = Credential("hue", "token");
        var lightState = $"http://192.0.2.10/api/{token}/lights/1/state";
        Assert.That(_testbed.Probe("cloud", "http", lightState, "--method", "PUT", "--data", "{\"on\": true}", "--expect-status", "200"), "writes work while Normal");

        var (_, attack) = _testbed.Tool("attacker", "hue_bruteforce", "--target", "192.0.2.10", "--count", "30", "--rate", "20", "--duration", "20");

        Assert.That(appliance.WaitFor(l => l.Contains("STATE", StringComparison.Ordinal) && l.Contains("hue", StringComparison.Ordinal) && l.Contains("Normal -> Suspicious", StringComparison.Ordinal), AlertWait),
            $"no transition after {attack}\n{appliance.Stdout}");
        Assert.Multiple(() =>
        {
            Assert.That(_testbed.Probe("cloud", "http", $"http://192.0.2.10/api/{token}/lights", "--expect-status", "200"), "reads still work when Suspicious");
            Assert.That(_testbed.Probe("cloud", "http", lightState, "--method", "PUT", "--data", "{\"on\": false}", "--expect-fail"), "writes are dropped when Suspicious");
            Assert.That(_testbed.Probe("hue", "ping", "192.0.2.100", "--count", "2"), "the bridge's own traffic to the cloud keeps flowing");
        });
        Assert.That(appliance.Stop().ExitCode, Is.Zero);
    }

    /// <summary>Ping, TCP and HTTP between devices and the cloud, started from either side.</summary>
    private void AssertTalkBothWays() => Assert.Multiple(() =>
    {
        Assert.That(_testbed.Probe("hue", "ping", "192.0.2.100", "--count", "3"), "ping hue -> cloud");
        Assert.That(_testbed.Probe("cloud", "ping", "192.0.2.13", "--count", "3"), "ping cloud -> cam");
        Assert.That(_testbed.Probe("wemo", "tcp", "192.0.2.100", "7", "--send", "kalki-live"), "TCP echo wemo -> cloud");
        Assert.That(_testbed.Probe("cloud", "tcp", "192.0.2.12", "22", "--read-banner"), "TCP cloud -> udoo ssh banner");
        Assert.That(_testbed.Probe("hue", "http", "http://192.0.2.100/", "--expect-status", "200"), "HTTP hue -> cloud");
        Assert.That(_testbed.Probe("cloud", "http", "http://192.0.2.10/description.xml", "--expect-status", "200"), "HTTP cloud -> hue");
    });

    private string Credential(string device, string key)
    {
        using var status = System.Text.Json.JsonDocument.Parse(_testbed.Call("status", "--json").Stdout);
        return status.RootElement.GetProperty("credentials").GetProperty(device).GetProperty(key).GetString()!;
    }

    private void Flood(string host, int count, int seed)
    {
        var (exit, result) = _testbed.Tool(host, "mac_flood", "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "60");
        Assert.That(exit, Is.Zero, $"mac_flood from {host}: {result}");
    }

    private void AssertCutOff(string when)
    {
        Assert.Multiple(() =>
        {
            Assert.That(_testbed.Probe("hue", "ping", "192.0.2.100", "--count", "2", "--expect-fail"), $"hue -> cloud ping must fail {when}");
            Assert.That(_testbed.Probe("cloud", "tcp", "192.0.2.10", "80", "--expect-fail"), $"cloud -> hue TCP must fail {when}");
            Assert.That(_testbed.Probe("cloud", "ping", "192.0.2.13", "--count", "2", "--expect-fail"), $"cloud -> cam ping must fail {when}");
        });
    }
}
