using System.Net.NetworkInformation;
using System.Net.Sockets;
using KalkiEdge.Core;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// The appliance's own address on the device side (<c>interfaces: { device-address: 192.0.2.2/24 }</c>): device
/// monitors and commands open ordinary sockets from it. The bridge stays transparent: frames to or from it (and
/// the port's MAC) are the appliance's own and never bridged.
/// </summary>
public sealed record DeviceSideAddress(UInt128 Address, IpNetwork Network, SourceSpan At)
{
    public override string ToString() => $"{Ip.Format(Address)}/{(Ip.IsV4(Address) ? Network.Bits - 96 : Network.Bits)}";

    /// <summary>Parses <c>ADDRESS/PREFIX</c>; null after reporting why it is not one.</summary>
    public static DeviceSideAddress? Parse(ElementArgs args, ArgNode node)
    {
        var text = args.ScalarText(node);
        if (text is null)
        {
            return null;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !Ip.TryParse(text[..slash], out var address) || !IpNetwork.TryParse(text, out var network))
        {
            args.Error(node.At, $"device-address: '{Printable.Escape(text)}' is not an address with its prefix length (e.g. 192.0.2.2/24)");
            return null;
        }

        if (!Ip.IsUnicast(address) || address == network.Prefix)
        {
            args.Error(node.At, $"device-address: {Printable.Escape(text)} is not a unicast host address of its network");
            return null;
        }

        return new DeviceSideAddress(address, network, node.At);
    }

    /// <summary>
    /// Refuses an address inside no device's reach (no device address in its network: a monitor could reach nothing
    /// from it) and one that is a device's own address.
    /// </summary>
    public void CheckReach(IEnumerable<(string Name, IReadOnlyList<UInt128> Ips)> devices, DiagnosticBag diagnostics)
    {
        var all = devices.ToList();
        if (all.FirstOrDefault(d => d.Ips.Contains(Address)) is { Name: { } owner })
        {
            diagnostics.Error(At, $"interfaces: device-address {this} is device '{owner}''s own address");
            return;
        }

        if (!all.Any(d => d.Ips.Any(Network.Contains)))
        {
            var known = all.SelectMany(d => d.Ips).Take(3).Select(Ip.Format).ToList();
            diagnostics.Error(At, $"interfaces: device-address {this} is inside no device's reach: no device has an address in {Network}"
                + (known.Count == 0 ? " (no device has an address)" : $" (devices have e.g. {string.Join(", ", known)})"));
        }
    }

    /// <summary>
    /// Where the kernel holds the address: a device port or a VLAN of one (<c>dev0</c>, <c>dev0.20</c>), with that
    /// interface's MAC, or a problem saying what to do.
    /// </summary>
    public (string Interface, ulong Mac)? Locate(IReadOnlyList<string> devicePorts, out string? problem)
    {
        problem = null;
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            var holds = nic.GetIPProperties().UnicastAddresses.Any(u =>
                u.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && Ip.From(u.Address) == Address);
            if (!holds)
            {
                continue;
            }

            if (!devicePorts.Any(p => nic.Name == p || nic.Name.StartsWith(p + ".", StringComparison.Ordinal)))
            {
                problem = $"device-address {this} is assigned to {nic.Name}, which is neither a device port nor a VLAN of one ({string.Join(", ", devicePorts)})";
                return null;
            }

            var bytes = nic.GetPhysicalAddress().GetAddressBytes();
            return (nic.Name, bytes.Length == 6 ? Mac.Read(bytes) : 0);
        }

        problem = $"device-address {this} is not assigned to any interface: assign it to the device port (e.g. ip addr add {this} dev {devicePorts[0]})";
        return null;
    }
}
