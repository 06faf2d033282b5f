using System.Globalization;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// The host's network settings as Linux exposes them (procfs and sysfs of the current network namespace):
/// which interfaces exist, their MTU, and anything that would let frames cross between the bridged ports
/// without passing through the chains. Roots are parameters so tests can use a fake tree.
/// </summary>
public sealed class HostNetwork(string procSysNet = "/proc/sys/net", string sysClassNet = "/sys/class/net")
{
    public IReadOnlyList<string> Interfaces() =>
        Directory.Exists(sysClassNet) ? [.. Directory.EnumerateFileSystemEntries(sysClassNet).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)] : [];

    public bool Exists(string name) => Directory.Exists(Path.Combine(sysClassNet, name));

    public int? Mtu(string name) =>
        int.TryParse(ReadSetting(Path.Combine(sysClassNet, name, "mtu")), NumberStyles.None, CultureInfo.InvariantCulture, out var mtu) ? mtu : null;

    /// <summary>
    /// Everything that would let frames bypass the chains between <paramref name="ports"/>, each with what to
    /// change. Empty when the bridge may start. While the appliance is down, nothing must cross.
    /// </summary>
    public IReadOnlyList<string> BypassProblems(IReadOnlyCollection<string> ports)
    {
        var problems = new List<string>();
        if (IsOn("ipv4", "ip_forward"))
        {
            problems.Add("IPv4 forwarding is on (net.ipv4.ip_forward = 1): the kernel could route packets between the ports around the chains; set it to 0 (sysctl -w net.ipv4.ip_forward=0, and in /etc/sysctl.d)");
        }

        if (IsOn("ipv6", "conf", "all", "forwarding"))
        {
            problems.Add("IPv6 forwarding is on (net.ipv6.conf.all.forwarding = 1): set it to 0 (sysctl -w net.ipv6.conf.all.forwarding=0, and in /etc/sysctl.d)");
        }

        foreach (var port in ports)
        {
            foreach (var family in (string[])["ipv4", "ipv6"])
            {
                if (IsOn(family, "conf", port, "forwarding"))
                {
                    problems.Add($"{port}: {family} forwarding is on (net.{family}.conf.{port.Replace('.', '/')}.forwarding = 1); set it to 0");
                }
            }

            var master = Path.Combine(sysClassNet, port, "master");
            if (File.Exists(master) || Directory.Exists(master) || Directory.Exists(Path.Combine(sysClassNet, port, "brport")))
            {
                var name = new FileInfo(master).LinkTarget is { } target ? Path.GetFileName(target) : "a kernel bridge";
                problems.Add($"{port} is enslaved to {name}, which forwards frames around the chains; detach it (ip link set {port} nomaster)");
            }

            if (Directory.Exists(Path.Combine(sysClassNet, port, "bridge")))
            {
                problems.Add($"{port} is itself a kernel bridge, which forwards between its ports around the chains; bridge a physical or VLAN interface instead");
            }
        }

        return problems;
    }

    private bool IsOn(params string[] setting) => ReadSetting(Path.Combine([procSysNet, .. setting])) is { } v && v != "0";

    private static string? ReadSetting(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>Whether this process may open packet sockets (root, or the CAP_NET_RAW capability).</summary>
public static class CapturePrivileges
{
    private const int CapNetRaw = 13;

    public static bool CanCapture(string procSelfStatus = "/proc/self/status")
    {
        if (!File.Exists(procSelfStatus))
        {
            return false;
        }

        foreach (var line in File.ReadLines(procSelfStatus))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
            {
                return ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var caps) && (caps & (1UL << CapNetRaw)) != 0;
            }
        }

        return false;
    }
}
