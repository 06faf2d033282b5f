using KalkiEdge.DataPlane.Live;

namespace KalkiEdge.UnitTests.Live;

/// <summary>Fail-closed start checks against a fake procfs/sysfs tree shaped like Linux's.</summary>
public sealed class HostNetworkTests
{
    private string _root = null!;
    private HostNetwork _host = null!;

    private string Proc => Path.Combine(_root, "proc/sys/net");

    private string Sys => Path.Combine(_root, "sys/class/net");

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "kalki-hostnet-" + Guid.NewGuid().ToString("N")[..10]);
        Setting("ipv4/ip_forward", "0");
        Setting("ipv6/conf/all/forwarding", "0");
        foreach (var port in (string[])["lo", "dev0", "up0"])
        {
            Interface(port);
            Setting($"ipv4/conf/{port}/forwarding", "0");
        }

        _host = new HostNetwork(Proc, Sys);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public void A_clean_host_has_no_bypass() => Assert.That(_host.BypassProblems(["dev0", "up0"]), Is.Empty);

    [Test]
    public void Ip_forwarding_anywhere_is_refused_with_the_fix()
    {
        Setting("ipv4/ip_forward", "1");
        Setting("ipv6/conf/all/forwarding", "1");
        Setting("ipv4/conf/up0/forwarding", "1");

        var problems = _host.BypassProblems(["dev0", "up0"]);

        Assert.That(problems, Has.Count.EqualTo(3));
        Assert.That(problems, Has.Some.Contains("net.ipv4.ip_forward = 1").And.Contains("sysctl -w net.ipv4.ip_forward=0")
            .And.Some.Contains("net.ipv6.conf.all.forwarding")
            .And.Some.Contains("up0: ipv4 forwarding is on"));
    }

    [Test]
    public void A_port_enslaved_to_a_kernel_bridge_is_refused()
    {
        Interface("kbr0");
        Directory.CreateDirectory(Path.Combine(Sys, "kbr0", "bridge"));
        File.CreateSymbolicLink(Path.Combine(Sys, "dev0", "master"), Path.Combine(Sys, "kbr0"));
        Directory.CreateDirectory(Path.Combine(Sys, "up0", "brport"));

        var problems = _host.BypassProblems(["dev0", "up0"]);

        Assert.That(problems, Has.Some.Contains("dev0 is enslaved to kbr0").And.Contains("ip link set dev0 nomaster")
            .And.Some.Contains("up0 is enslaved to"));
        Assert.That(_host.BypassProblems(["kbr0"]), Has.Some.Contains("kbr0 is itself a kernel bridge"));
    }

    [Test]
    public void A_missing_interface_is_named_with_the_available_ones()
    {
        var config = new InterfacesConfig { Devices = ["dev9"], Uplink = "up0" };

        var problems = LivePreflight.Check(config, _host, libpcapInstalled: true, canCapture: true);

        Assert.That(problems, Is.EqualTo(new[] { "interface 'dev9' does not exist in this network namespace (available: dev0, lo, up0)" }));
    }

    [Test]
    public void Missing_libpcap_and_privileges_say_what_to_do()
    {
        var config = new InterfacesConfig { Devices = ["dev0"], Uplink = "up0" };

        var problems = LivePreflight.Check(config, _host, libpcapInstalled: false, canCapture: false);

        Assert.That(problems, Has.Some.Contains("apt-get install libpcap0.8").And.Some.Contains("CAP_NET_RAW"));
    }

    [Test]
    public void Snaplen_covers_the_mtu_plus_headers_unless_configured()
    {
        File.WriteAllText(Path.Combine(Sys, "dev0", "mtu"), "1500\n");
        File.WriteAllText(Path.Combine(Sys, "up0", "mtu"), "9000\n");
        var auto = new InterfacesConfig { Devices = ["dev0"], Uplink = "up0" };

        Assert.Multiple(() =>
        {
            Assert.That(LivePreflight.SnaplenFor(auto, _host, "dev0"), Is.EqualTo(1522));
            Assert.That(LivePreflight.SnaplenFor(auto, _host, "up0"), Is.EqualTo(9022));
            Assert.That(LivePreflight.SnaplenFor(auto with { Snaplen = 1600 }, _host, "up0"), Is.EqualTo(1600));
        });
    }

    [TestCase("CapEff:\t000001ffffffffff", true)]
    [TestCase("CapEff:\t0000000000002000", true)]
    [TestCase("CapEff:\t0000000000000000", false)]
    public void Capture_privileges_follow_the_effective_net_raw_capability(string line, bool expected)
    {
        var status = Path.Combine(_root, "status");
        File.WriteAllText(status, $"Name:\tkalki-edge\n{line}\n");

        Assert.That(CapturePrivileges.CanCapture(status), Is.EqualTo(expected));
    }

    private void Interface(string name) => Directory.CreateDirectory(Path.Combine(Sys, name));

    private void Setting(string path, string value)
    {
        var file = Path.Combine(Proc, path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, value + "\n");
    }
}
