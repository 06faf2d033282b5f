namespace KalkiEdge.LiveTests.Support;

/// <summary>A second device-side port for multi-port layouts (a second NIC, a VLAN, the Wi-Fi AP), built by the test.</summary>
public sealed partial class Testbed
{
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Adds appliance port <paramref name="port"/> wired straight to a new device host <paramref name="host"/>
    /// (namespace <c>P-host</c>, so `testbed.sh down` removes it with the rest), configured like the testbed's own
    /// hosts: IPv6 off, TX checksum offload off, one TEST-NET-1 address.
    /// </summary>
    public TestbedHost AddDevicePort(string port, string portMac, string host, string hostMac, string ip)
    {
        NewHostNamespace(host);
        Checked(BoundedProcess.Run(CommandLimit, "ip", "link", "add", port, "netns", Namespace("app"), "address", portMac, "type", "veth",
            "peer", "name", "eth0", "netns", Namespace(host), "address", hostMac));
        Checked(Exec("app", CommandLimit, "ip", "link", "set", port, "up"));
        return ConfigureHostEth0(host, hostMac, ip);
    }

    /// <summary>A new namespace <c>P-host</c> (so `testbed.sh down` removes it) as the testbed makes its hosts': IPv6 off, loopback up.</summary>
    private void NewHostNamespace(string host)
    {
        Checked(BoundedProcess.Run(CommandLimit, "ip", "netns", "add", Namespace(host)));
        Checked(Exec(host, CommandLimit, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"));
        Checked(Exec(host, CommandLimit, "ip", "link", "set", "lo", "up"));
    }

    /// <summary>The host's eth0, once wired: its one TEST-NET-1 address, up, TX checksum offload off (see the testbed's README).</summary>
    private TestbedHost ConfigureHostEth0(string host, string hostMac, string ip)
    {
        Checked(Exec(host, CommandLimit, "ip", "addr", "add", ip + "/24", "dev", "eth0"));
        Checked(Exec(host, CommandLimit, "ip", "link", "set", "eth0", "up"));
        Checked(Exec(host, CommandLimit, "python3", Path.Combine(RepoPaths.Testbed, "tools", "offload.py"), "eth0"));
        return new TestbedHost(host, "device", hostMac, ip);
    }

    /// <summary>Frames an interface has received, as the kernel counts them.</summary>
    public long RxPackets(string host, string iface)
    {
        var read = Checked(Exec(host, CommandLimit, "cat", $"/sys/class/net/{iface}/statistics/rx_packets"));
        return long.Parse(read.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static ProcessResult Checked(ProcessResult result)
    {
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        return result;
    }
}
