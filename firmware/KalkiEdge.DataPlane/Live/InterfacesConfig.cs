using KalkiEdge.Core;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// The site config's <c>interfaces:</c> section:
/// <c>{ devices: [dev0, wlan0], uplink: eth0, snaplen: 1600, buffer-mb: 16, management-addresses: [192.0.2.1], mac-table: 4096, nice: -10, realtime-priority: 10, transmit-batch: 32, busy-poll-us: 0, device-address: 192.0.2.2/24 }</c>.
/// </summary>
public sealed record InterfacesConfig
{
    public const int DefaultBufferMegabytes = 16;

    /// <summary>Ethernet header plus two VLAN tags on top of the MTU.</summary>
    public const int HeaderAllowance = Frame.EthernetHeader + 8;

    public required IReadOnlyList<string> Devices { get; init; }

    public required string Uplink { get; init; }

    /// <summary>Explicit snaplen; null = each interface's MTU + <see cref="HeaderAllowance"/>.</summary>
    public int? Snaplen { get; init; }

    public int BufferMegabytes { get; init; } = DefaultBufferMegabytes;

    /// <summary>The appliance's own addresses on the bridged segment (if it has any): their traffic is not bridged.</summary>
    public IReadOnlyList<UInt128> ManagementAddresses { get; init; } = [];

    /// <summary>The appliance's own address on the device side, from which monitors and commands connect (null: none).</summary>
    public DeviceSideAddress? DeviceAddress { get; init; }

    /// <summary>Addresses whose traffic is the appliance's own: the management addresses and the device-side address.</summary>
    public IReadOnlyList<UInt128> OwnAddresses => DeviceAddress is { } d ? [.. ManagementAddresses, d.Address] : ManagementAddresses;

    public int MacTableCapacity { get; init; } = MacPortTable.DefaultCapacity;

    /// <summary>Nice value of the capture threads (-20 highest .. 19 lowest).</summary>
    public int Nice { get; init; } = CaptureThreadPriority.DefaultNice;

    /// <summary>SCHED_FIFO priority of the capture threads and the control loop (1..99; 0 = only <see cref="Nice"/>).</summary>
    public int RealtimePriority { get; init; } = CaptureThreadPriority.DefaultRealtimePriority;

    /// <summary>Frames a capture thread sends per port in one system call (1..1024; 1 = one call per frame).</summary>
    public int TransmitBatch { get; init; } = Bridge.DefaultTransmitBatch;

    /// <summary>Off: on a 2-core machine a spinning real-time capture thread takes the CPU from the hosts it serves (see the Live README).</summary>
    public const int DefaultBusyPollMicros = 0;

    /// <summary>Microseconds a capture thread keeps checking its empty ring before it sleeps (0..1000; 0 = sleep at once).</summary>
    public int BusyPollMicros { get; init; } = DefaultBusyPollMicros;

    public IEnumerable<string> All => Devices.Append(Uplink);

    /// <summary>Parses the section, reporting every problem with its place; null if there were errors.</summary>
    public static InterfacesConfig? Parse(ArgNode section, DiagnosticBag diagnostics)
    {
        int before = diagnostics.Items.Count;
        if (section.Kind != ArgKind.Map)
        {
            diagnostics.Error(section.At, $"interfaces: expected a map like {{devices: [dev0], uplink: up0}}, got {section}");
            return null;
        }

        var args = new ElementArgs("interfaces", section.At, section.Entries, diagnostics, NoResources.Instance);
        var devices = new List<string>();
        var devicesNode = args.Required("devices");
        foreach (var node in devicesNode?.AsList() ?? [])
        {
            if (InterfaceName(args, node) is { } name)
            {
                if (devices.Contains(name))
                {
                    args.Error(node.At, $"device port '{name}' is listed twice");
                }

                devices.Add(name);
            }
        }

        if (devicesNode is not null && devicesNode.AsList().Count == 0)
        {
            args.Error(devicesNode.At, "'devices' needs at least one interface");
        }

        var uplinkNode = args.Required("uplink");
        var uplink = uplinkNode is null ? null : InterfaceName(args, uplinkNode);
        if (uplink is not null && devices.Contains(uplink))
        {
            args.Error(uplinkNode!.At, $"'{uplink}' cannot be both a device port and the uplink");
        }

        var snaplen = args.Node("snaplen") is { } s ? (int?)args.Int(s, "snaplen", 1600, 128, 65535) : null;
        var buffer = (int)args.Int("buffer-mb", DefaultBufferMegabytes, 1, 1024);
        var macTable = (int)args.Int("mac-table", MacPortTable.DefaultCapacity, 16, 1 << 20);
        var nice = (int)args.Int("nice", CaptureThreadPriority.DefaultNice, -20, 19);
        var realtime = (int)args.Int("realtime-priority", CaptureThreadPriority.DefaultRealtimePriority, 0, 99);
        var transmitBatch = (int)args.Int("transmit-batch", Bridge.DefaultTransmitBatch, 1, 1024);
        var busyPoll = (int)args.Int("busy-poll-us", DefaultBusyPollMicros, 0, 1000);
        var management = new List<UInt128>();
        foreach (var node in args.List("management-addresses"))
        {
            if (args.ScalarText(node) is { } text)
            {
                if (Ip.TryParse(text, out var ip))
                {
                    management.Add(ip);
                }
                else
                {
                    args.Error(node.At, $"'{text}' is not an IP address");
                }
            }
        }

        var deviceAddress = args.Node("device-address", "address/prefix") is { } da ? DeviceSideAddress.Parse(args, da) : null;
        args.RejectUnknown();
        if (diagnostics.Items.Count > before || uplink is null)
        {
            return null;
        }

        return new InterfacesConfig
        {
            Devices = devices,
            Uplink = uplink,
            Snaplen = snaplen,
            BufferMegabytes = buffer,
            ManagementAddresses = management,
            DeviceAddress = deviceAddress,
            MacTableCapacity = macTable,
            Nice = nice,
            RealtimePriority = realtime,
            TransmitBatch = transmitBatch,
            BusyPollMicros = busyPoll,
        };
    }

    private static string? InterfaceName(ElementArgs args, ArgNode node)
    {
        var text = args.ScalarText(node);
        // Linux interface names: 1-15 bytes, no '/', no whitespace (IFNAMSIZ and dev_valid_name()).
        if (text is not null && (text.Length is 0 or > 15 || text is "." or ".." || text.Any(c => c == '/' || char.IsWhiteSpace(c) || c == ':')))
        {
            args.Error(node.At, $"'{text}' is not a valid interface name");
            return null;
        }

        return text;
    }

    /// <summary>The interfaces section loads no files.</summary>
}
