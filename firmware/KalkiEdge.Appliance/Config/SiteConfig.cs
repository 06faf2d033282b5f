using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Appliance.Config;

/// <summary>One device as configured on this site.</summary>
public sealed record DeviceConfig(string Name, ulong Mac, IReadOnlyList<UInt128> Ips, SourceSpan At)
{
    /// <summary>Device type (pack) that chooses chains by security state.</summary>
    public string? Type { get; init; }

    /// <summary>A μmbox image to run regardless of state (when no type is given).</summary>
    public string? Image { get; init; }

    /// <summary>An explicit chain in the chain language (when neither type nor image is given).</summary>
    public string? Chain { get; init; }

    /// <summary>Where the type, image or chain is given (chain errors are reported within its text from here).</summary>
    public SourceSpan ChainAt { get; init; }

    public SourceSpan NameAt { get; init; }

    public SourceSpan MacAt { get; init; }

    public SourceSpan IpsAt { get; init; }

    public string? Group { get; init; }

    public string Description { get; init; } = "";

    /// <summary>The device's monitor (<c>monitor: {family: hue, ...}</c>), read by the device monitors; null: not polled.</summary>
    public ArgNode? Monitor { get; init; }

    /// <summary>The device's credentials (<c>credentials: {user: ..., password: ...}</c>) for its monitor; never logged.</summary>
    public ArgNode? Credentials { get; init; }
}

/// <summary>The site configuration (kalki.yaml): devices, defaults, where μmbox images live.</summary>
public sealed class SiteConfig
{
    /// <summary>Chain for broadcast/multicast from the network to the devices: ARP and DHCP replies only.</summary>
    public const string DefaultNetworkBroadcastChain =
        "firewall(default: drop, rules: [{action: allow, proto: arp}, {action: allow, dir: in, proto: udp, lport: 68}])";

    public required string File { get; init; }

    /// <summary>Directory holding images/, rules/ and packs/.</summary>
    public required string UmboxesDir { get; init; }

    public string DataDir { get; init; } = "";

    public UnknownDevicePolicy UnknownDevices { get; init; } = UnknownDevicePolicy.Drop;

    public string NetworkBroadcastChain { get; init; } = DefaultNetworkBroadcastChain;

    public SourceSpan NetworkBroadcastAt { get; init; }

    public IReadOnlyList<DeviceConfig> Devices { get; init; } = [];

    /// <summary>Raw top-level sections that later modules read themselves (interfaces, management, …).</summary>
    public IReadOnlyDictionary<string, ArgNode> Sections { get; init; } = new Dictionary<string, ArgNode>();

    /// <summary>The same site keeping its store elsewhere (the simulation keeps one in a directory of its own).</summary>
    public SiteConfig WithDataDir(string dataDir) => new()
    {
        File = File,
        UmboxesDir = UmboxesDir,
        DataDir = dataDir,
        UnknownDevices = UnknownDevices,
        NetworkBroadcastChain = NetworkBroadcastChain,
        NetworkBroadcastAt = NetworkBroadcastAt,
        Devices = Devices,
        Sections = Sections,
    };
}
