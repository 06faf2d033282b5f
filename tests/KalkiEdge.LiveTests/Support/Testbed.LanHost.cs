namespace KalkiEdge.LiveTests.Support;

/// <summary>A further host on the IoT LAN's switch, built by the test: a site service the devices and the appliance's device-side address both reach.</summary>
public sealed partial class Testbed
{
    /// <summary>
    /// Adds host <paramref name="host"/> (namespace <c>P-host</c>) plugged into the IoT switch (<c>P-lan</c>'s br0)
    /// like the testbed's own devices: it talks to them and to the device-side address without crossing the appliance,
    /// and to the uplink only through the bridge. It is not a registered device unless the test's config says so.
    /// </summary>
    public TestbedHost AddLanHost(string host, string hostMac, string ip)
    {
        NewHostNamespace(host);
        Checked(BoundedProcess.Run(CommandLimit, "ip", "link", "add", host, "netns", Namespace("lan"), "type", "veth",
            "peer", "name", "eth0", "netns", Namespace(host), "address", hostMac));
        Checked(Exec("lan", CommandLimit, "ip", "link", "set", host, "master", "br0"));
        Checked(Exec("lan", CommandLimit, "ip", "link", "set", host, "up"));
        return ConfigureHostEth0(host, hostMac, ip);
    }
}
