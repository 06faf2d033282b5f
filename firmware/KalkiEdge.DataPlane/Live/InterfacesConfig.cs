using KalkiEdge.Core;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// The site config's <c>interfaces:</c> section:
/// <c>{ devices: [dev0, wlan0], uplink: eth0, snaplen: 1600, buffer-mb: 16, management-addresses: [192.0.2.1], mac-table: 4096, nice: -10, realtime-priority: 10, transmit-batch: 32, busy-poll-us: 0, poll-cpu: 3, device-address: 192.0.2.2/24 }</c>.
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

    /// <summary>
    /// The polling core: one capture thread pinned to this CPU serves every port and never sleeps (null: a sleeping
    /// thread per port). It runs at <see cref="RealtimePriority"/> (else <see cref="Nice"/>) like the per-port threads.
    /// </summary>
    public int? PollCpu { get; init; }

    public IEnumerable<string> All => Devices.Append(Uplink);

    /// <summary>Parses the section, reporting every problem with its place; null if there were errors.</summary>
    /// <param name="allowedCpus">The CPUs the process may run on (null: this process's, from sched_getaffinity).</param>
    public static InterfacesConfig? Parse(ArgNode section, DiagnosticBag diagnostics, IReadOnlySet<int>? allowedCpus = null)
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
        var pollCpu = args.Node("poll-cpu", "integer") is { } pc ? PollCpuOf(args, pc, busyPoll, allowedCpus ?? CpuAffinity.Allowed()) : null;
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
            PollCpu = pollCpu,
        };
    }

    /// <summary>
    /// The polling core's CPU, refused when the process may not run there (the pin would fail at start), when it is
    /// the process's only CPU (a real-time thread that never sleeps would starve the control plane, the dashboard and
    /// the kernel's own work there) and beside <c>busy-poll-us</c> (a thread that never sleeps has no sleep to delay).
    /// </summary>
    private static int? PollCpuOf(ElementArgs args, ArgNode node, int busyPoll, IReadOnlySet<int> allowed)
    {
        int before = args.Diagnostics.Items.Count;
        var cpu = (int)args.Int(node, "poll-cpu", -1, 0, 1023);
        if (args.Diagnostics.Items.Count > before)
        {
            return null;
        }

        var cpus = string.Join(", ", allowed);
        if (!allowed.Contains(cpu))
        {
            args.Error(node.At, $"'poll-cpu' {cpu} is not a CPU this process may run on (it may use {cpus}): the polling thread could not be pinned there", $"name one of {cpus}, or widen the process's CPUs (taskset, the service's CPUAffinity)");
        }
        else if (allowed.Count == 1)
        {
            args.Error(node.At, $"'poll-cpu' {cpu} is the only CPU this process may run on: a polling thread never sleeps, so it would starve the control plane, the dashboard and the kernel's work on it", "remove poll-cpu, or give the process a second CPU");
        }
        else if (busyPoll > 0)
        {
            args.Error(node.At, "'poll-cpu' and 'busy-poll-us' together: the polling thread never sleeps, so a spin before sleeping means nothing", "remove busy-poll-us (or poll-cpu)");
        }
        else
        {
            return cpu;
        }

        return null;
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
