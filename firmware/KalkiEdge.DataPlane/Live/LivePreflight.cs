using KalkiEdge.DataPlane.Pcap;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// Everything checked before the bridge opens a port, each failure as a message that says what to do:
/// libpcap installed, the interfaces exist, we may capture, and no kernel path bypasses the chains.
/// </summary>
public static class LivePreflight
{
    public const string LibpcapMissing = "libpcap is not installed: apt-get install libpcap0.8";

    public const string PrivilegesMissing = "capturing and injecting frames needs root or the CAP_NET_RAW capability (run as root, or: setcap cap_net_raw,cap_net_admin+eip on the executable)";

    public static IReadOnlyList<string> Check(InterfacesConfig config, HostNetwork host, bool libpcapInstalled, bool canCapture)
    {
        var problems = new List<string>();
        if (!libpcapInstalled)
        {
            problems.Add(LibpcapMissing);
        }

        var missing = config.All.Where(name => !host.Exists(name)).ToList();
        foreach (var name in missing)
        {
            problems.Add($"interface '{name}' does not exist in this network namespace (available: {string.Join(", ", host.Interfaces())})");
        }

        if (!canCapture)
        {
            problems.Add(PrivilegesMissing);
        }

        if (missing.Count == 0)
        {
            problems.AddRange(host.BypassProblems([.. config.All]));
        }

        return problems;
    }

    /// <summary>libpcap as the runtime would load it.</summary>
    public static bool LibpcapInstalled() => LibPcap.IsInstalled();

    /// <summary>Snaplen for a port: the configured one, else the interface's MTU plus headers.</summary>
    public static int SnaplenFor(InterfacesConfig config, HostNetwork host, string name) =>
        config.Snaplen ?? ((host.Mtu(name) ?? 1500) + InterfacesConfig.HeaderAllowance);
}
