using System.Globalization;
using System.Net;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Mud;
using KalkiEdge.Umboxes.Elements;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Checks a MUD file against the chain a pack puts a new device under: for every rule the manufacturer declares,
/// one representative frame (the rule's protocol, first remote port and first address of its prefix) is asked of
/// that chain's <c>egress-guard</c> allow-lists. A declared rule the pack would not allow is a gap: the device
/// doing what its maker says would raise <c>abnormal-egress</c>. A chain without an egress-guard allows all egress.
/// </summary>
public static class MudPackCheck
{
    private static readonly Host Device = new("mud-device", "02:00:00:00:00:01", "192.0.2.50");
    private const string AnyRemote = "203.0.113.1";
    private const ushort EphemeralPort = 49152;

    /// <summary>The declared rules the chain would report as abnormal egress (empty: the pack agrees with the maker).</summary>
    public static IReadOnlyList<MudAllow> Gaps(MudFile mud, ChainDefinition chain)
    {
        ArgumentNullException.ThrowIfNull(mud);
        ArgumentNullException.ThrowIfNull(chain);
        var guards = chain.Specs.OfType<ElementSpec<EgressGuardConfig>>().Select(s => s.Config.AllowList).ToList();
        if (guards.Count == 0)
        {
            return [];
        }

        return [.. mud.Allows.Where(a => !Allows(a, guards))];
    }

    /// <summary>True when every one of <paramref name="guards"/> allows the rule's representative frame.</summary>
    public static bool Allows(MudAllow allow, IReadOnlyList<Umboxes.Application.EgressAllowList> guards)
    {
        ArgumentNullException.ThrowIfNull(allow);
        ArgumentNullException.ThrowIfNull(guards);
        var frame = new Frame();
        frame.Load(Representative(allow), 0, Direction.FromDevice);
        return frame.Decode() && guards.All(g => g.Allows(frame));
    }

    private static byte[] Representative(MudAllow allow)
    {
        var remote = new Host("remote", "02:00:00:00:00:02", RemoteAddress(allow.Remote));
        var rport = FirstPort(allow.RemotePorts, 80);
        var lport = FirstPort(allow.LocalPorts, EphemeralPort);
        return allow.Protocol switch
        {
            "udp" => PacketFactory.Udp(Device, remote, lport, rport, []),
            "icmp" => PacketFactory.IcmpEcho(Device, remote, 1),
            _ => PacketFactory.Tcp(Device, remote, lport, rport, syn: true, ack: false, fin: false, seq: 1, ackNo: 0, []),
        };
    }

    /// <summary>The prefix's first IPv4 address (the representative frames are IPv4; an IPv6 rule is tried with a TEST-NET address).</summary>
    private static string RemoteAddress(string? prefix)
    {
        if (prefix is null || !IPNetwork.TryParse(prefix, out var network) || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return AnyRemote;
        }

        return network.BaseAddress.ToString();
    }

    private static ushort FirstPort(string? ports, ushort fallback) =>
        ports is null ? fallback : ushort.Parse(ports.Split('-')[0], CultureInfo.InvariantCulture);
}
