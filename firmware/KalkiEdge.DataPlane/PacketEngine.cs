using KalkiEdge.Core;

namespace KalkiEdge.DataPlane;

/// <summary>What to do with frames of devices that are not registered.</summary>
public enum UnknownDevicePolicy
{
    Drop,
    Forward,
}

/// <summary>Engine-wide counters.</summary>
public sealed class EngineCounters
{
    public long Frames;
    public long Forwarded;
    public long Dropped;
    public long Replied;
    public long Malformed;
    public long UnknownDevice;
    public long NoSuchDevice;
    public long Spoofed;

    /// <summary>Adds <paramref name="other"/>'s counts to these (an engine thread's tally at the end of a sharded run).</summary>
    public void Add(EngineCounters other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Interlocked.Add(ref Frames, other.Frames);
        Interlocked.Add(ref Forwarded, other.Forwarded);
        Interlocked.Add(ref Dropped, other.Dropped);
        Interlocked.Add(ref Replied, other.Replied);
        Interlocked.Add(ref Malformed, other.Malformed);
        Interlocked.Add(ref UnknownDevice, other.UnknownDevice);
        Interlocked.Add(ref NoSuchDevice, other.NoSuchDevice);
        Interlocked.Add(ref Spoofed, other.Spoofed);
    }
}

/// <summary>
/// The data plane's per-frame pipeline: attribute the frame to a device (MAC, then IP/ARP binding checks),
/// run that device's chain, return the verdict. Allocation-free on the forwarding path; thread-safe across
/// capture threads (a device's chain runs under its gate).
/// </summary>
public sealed class PacketEngine
{
    private readonly AlertThrottle _platformAlerts;
    private readonly UnknownMacSet _unknownSeen = new(4096);

    public PacketEngine(IAlertSink alerts, UnknownDevicePolicy unknownDevices = UnknownDevicePolicy.Drop)
    {
        _platformAlerts = new AlertThrottle(alerts);
        UnknownDevices = unknownDevices;
        Network = new DeviceSlot("(network)", 0, [], learnIps: false);
    }

    public DeviceTable Devices { get; } = new();

    public EngineCounters Counters { get; } = new();

    public UnknownDevicePolicy UnknownDevices { get; set; }

    /// <summary>
    /// Pseudo-device whose chain handles broadcast/multicast from the network to the device segment (e.g. ARP
    /// requests for a device's address). With no chain, such frames are dropped.
    /// </summary>
    public DeviceSlot Network { get; }

    /// <summary>
    /// Sees device-side frames of MACs no device owns (pairing) before the unknown-device default applies. Frames
    /// of registered devices never reach it, so it costs the forwarding path nothing.
    /// </summary>
    public IUnknownSourceObserver? UnknownSources { get; set; }

    /// <summary>Platform alerts that were folded into a later alert's count.</summary>
    public long SuppressedAlerts => _platformAlerts.Suppressed;

    /// <summary>
    /// For sources without ports (a pcap file): a frame from a known device's MAC is device-originated, one to a
    /// device's or a group MAC comes from the network, anything else is device-originated (<see cref="Attribute"/>).
    /// </summary>
    public Direction InferDirection(Frame frame)
    {
        if (!frame.HasEthernetHeader)
        {
            return Direction.FromDevice;
        }

        Attribute(new TableMacs(Devices), frame.DstMac, frame.SrcMac, out var direction);
        return direction;
    }

    /// <summary>
    /// For sources without ports, the one rule that attributes a frame from its MACs: its direction (as
    /// <see cref="InferDirection"/>) and its owner key (as <see cref="OwnerKey"/> then gives it): a device's source
    /// MAC is the device's own frame; a group destination is the network chain's (key 0); a device's destination is
    /// that device's, from the network; anything else is device-originated under its source MAC. Generic over the
    /// lookup so that a struct lookup (the walking engine threads' flat table) is called directly.
    /// </summary>
    public static ulong Attribute<TMacs>(TMacs devices, ulong dst, ulong src, out Direction direction)
        where TMacs : IDeviceMacs
    {
        if (devices.IsDevice(src))
        {
            direction = Direction.FromDevice;
            return src;
        }

        if (Mac.IsGroup(dst))
        {
            direction = Direction.ToDevice;
            return 0;
        }

        if (devices.IsDevice(dst))
        {
            direction = Direction.ToDevice;
            return dst;
        }

        direction = Direction.FromDevice;
        return src;
    }

    /// <summary>
    /// The MAC of the device whose state <paramref name="frame"/> (direction known) touches, as <see cref="Process"/>
    /// attributes it: the source from the device side; from the network, a device's MAC used as source (the
    /// impersonated device), else the destination, or 0 for group destinations (the network chain). Frames of one
    /// key must be processed in order by one thread (engine sharding).
    /// </summary>
    public ulong OwnerKey(Frame frame)
    {
        if (!frame.HasEthernetHeader)
        {
            return 0;
        }

        if (frame.Direction == Direction.FromDevice || Devices.ByMac(frame.SrcMac) is not null)
        {
            return frame.SrcMac;
        }

        return Mac.IsGroup(frame.DstMac) ? 0 : frame.DstMac;
    }

    /// <summary>
    /// An ARP from the network can raise an alert about a device other than the one it is attributed to (the owner
    /// of the address it claims), so under sharding it is processed alone: after every earlier frame, before any later one.
    /// </summary>
    public static bool MayConcernAnotherDevice(Frame frame) => MayConcernAnotherDevice(frame.Data, frame.Direction);

    /// <inheritdoc cref="MayConcernAnotherDevice(Frame)"/>
    public static bool MayConcernAnotherDevice(ReadOnlySpan<byte> data, Direction direction) =>
        direction == Direction.ToDevice
        && EtherTypes.BehindVlans(data, out var type, out _) == EtherTypeRead.Found && type == EtherTypes.Arp;

    /// <summary>Processes one frame. On <see cref="Verdict.Reply"/> the reply is in <c>context.Reply</c>.</summary>
    public Verdict Process(Frame frame, ElementContext context)
    {
        Increment(ref CountersOf(context).Frames, context);
        context.Ran = ChainRun.None;
        if (!frame.HasEthernetHeader)
        {
            frame.Decode(); // records why, so a runt is reported like any other malformed frame
            return Count(context, Verdict.Drop, malformed: true);
        }

        return frame.Direction == Direction.FromDevice ? FromDevice(frame, context) : ToDevice(frame, context);
    }

    private Verdict FromDevice(Frame frame, ElementContext context)
    {
        var device = Devices.ByMac(frame.SrcMac);
        if (device is null)
        {
            return UnknownSource(frame, context);
        }

        Interlocked.Increment(ref device.Counters.FromDeviceFrames);
        var chain = device.Chain;
        if (chain is null || chain.DropsAll)
        {
            return Finish(context, device, Verdict.Drop);
        }

        if (!frame.Decode())
        {
            return Malformed(context, device);
        }

        if (!SourceAddressIsGenuine(device, frame, context))
        {
            return Spoofed(context, device);
        }

        return Run(device, chain, frame, context);
    }

    private Verdict ToDevice(Frame frame, ElementContext context)
    {
        var dst = frame.DstMac;
        if (Devices.ByMac(frame.SrcMac) is { } impersonated)
        {
            // A device's MAC arriving from the uplink side: someone is impersonating it.
            RaisePlatform(context, AlertTypes.MacSpoof, impersonated, frame, frame, static f => $"frame from the network side with source MAC {Mac.Format(f.SrcMac)} of this device");
            return Spoofed(context, impersonated);
        }

        var device = Mac.IsGroup(dst) ? Network : Devices.ByMac(dst);
        if (device is null)
        {
            Increment(ref CountersOf(context).NoSuchDevice, context);
            return Count(context, Verdict.Drop);
        }

        Interlocked.Increment(ref device.Counters.ToDeviceFrames);
        var chain = device.Chain;
        if (chain is null || chain.DropsAll)
        {
            return Finish(context, device, Verdict.Drop);
        }

        if (!frame.Decode())
        {
            return Malformed(context, device);
        }

        if (frame.IsArp && !ArpFromNetworkIsGenuine(frame, context))
        {
            return Spoofed(context, device);
        }

        return Run(device, chain, frame, context);
    }

    private Verdict Run(DeviceSlot device, Chain chain, Frame frame, ElementContext context)
    {
        Verdict verdict;
        lock (device.Gate)
        {
            // Re-read under the gate: a swap that completed meanwhile wins, and the whole frame sees one chain.
            chain = device.Chain ?? chain;
            context.Device = device;
            context.Ran = new ChainRun(device, chain, device.Epoch); // under the gate, no swap between the two reads
            verdict = chain.Process(frame, context);
        }

        return Finish(context, device, verdict);
    }

    /// <summary>IP and ARP identity checks for device-originated frames; learns first bindings.</summary>
    private bool SourceAddressIsGenuine(DeviceSlot device, Frame frame, ElementContext context)
    {
        if (frame.IsArp)
        {
            if (frame.ArpSenderMac != device.Mac)
            {
                RaisePlatform(context, AlertTypes.ArpSpoof, device, frame, frame, static f => $"ARP from {Mac.Format(f.SrcMac)} names sender MAC {Mac.Format(f.ArpSenderMac)}");
                return false;
            }

            return CheckIp(device, frame, frame.ArpSenderIp, AlertTypes.ArpSpoof, context);
        }

        return !frame.IsIp || CheckIp(device, frame, frame.SrcIp, AlertTypes.IpSpoof, context);
    }

    private bool CheckIp(DeviceSlot device, Frame frame, UInt128 ip, string alertType, ElementContext context)
    {
        if (IsUnboundable(ip) || device.IsBound(ip))
        {
            return true;
        }

        // Who owns an address, and who learns it first, depends on every earlier frame of every device.
        context.TakeTurn();

        var owner = Devices.OwnerOf(ip);
        if (owner is null && Devices.TryLearn(device, ip))
        {
            return true;
        }

        var message = owner is not null
            ? $"source {Ip.Format(ip)} belongs to device {owner.Name}"
            : $"source {Ip.Format(ip)} is not bound to this device (bound: {string.Join(", ", device.Ips.ToArray().Select(Ip.Format))})";
        RaisePlatform(context, alertType, device, frame, message, static m => m);
        return false;
    }

    /// <summary>Unspecified (DHCP/DAD) and IPv6 link-local sources are not identities.</summary>
    private static bool IsUnboundable(UInt128 ip) =>
        ip == Ip.FromV4(0) || ip == 0 || (!Ip.IsV4(ip) && (ip >> 118) == 0x3FA);

    /// <summary>An ARP from the network side must not claim the address of a device.</summary>
    private bool ArpFromNetworkIsGenuine(Frame frame, ElementContext context)
    {
        context.TakeTurn();
        if (Devices.OwnerOf(frame.ArpSenderIp) is not { } owner || owner.Mac == frame.ArpSenderMac)
        {
            return true;
        }

        RaisePlatform(context, AlertTypes.ArpSpoof, owner, frame, frame, static f => $"ARP from the network claims {Ip.Format(f.ArpSenderIp)} is at {Mac.Format(f.ArpSenderMac)}");
        return false;
    }

    private Verdict UnknownSource(Frame frame, ElementContext context)
    {
        Increment(ref CountersOf(context).UnknownDevice, context);
        context.TakeTurn(); // the bounded set of unknown MACs forgets in the order frames arrive
        var firstSeen = _unknownSeen.Add(frame.SrcMac);
        var candidate = UnknownSources?.Observe(frame, firstSeen) == true;
        if (firstSeen && !candidate)
        {
            RaisePlatform(context, AlertTypes.UnknownDevice, null, frame, frame, static f => $"frame from unregistered MAC {Mac.Format(f.SrcMac)}",
                UnknownDevices == UnknownDevicePolicy.Forward ? AlertAction.Allowed : AlertAction.Blocked);
        }

        if (UnknownDevices == UnknownDevicePolicy.Forward && frame.Decode())
        {
            return Count(context, Verdict.Forward);
        }

        return Count(context, Verdict.Drop, malformed: frame.Malformation is not null);
    }

    /// <summary>A platform alert about a frame the engine drops (unless <paramref name="action"/> says otherwise).</summary>
    private void RaisePlatform<T>(ElementContext context, string type, DeviceSlot? device, Frame frame, T state, Func<T, string> info, AlertAction action = AlertAction.Blocked)
    {
        context.TakeTurn(); // the throttle's windows and the alert queue see alerts in frame order
        _platformAlerts.Raise(type, device?.Name ?? "(unknown)", frame, action, state, info);
    }

    private Verdict Malformed(ElementContext context, DeviceSlot device)
    {
        Interlocked.Increment(ref device.Counters.Malformed);
        return Finish(context, device, Verdict.Drop, malformed: true);
    }

    private Verdict Spoofed(ElementContext context, DeviceSlot device)
    {
        Interlocked.Increment(ref device.Counters.Spoofed);
        Increment(ref CountersOf(context).Spoofed, context);
        return Finish(context, device, Verdict.Drop);
    }

    private Verdict Finish(ElementContext context, DeviceSlot device, Verdict verdict, bool malformed = false)
    {
        // A device is reached from more than one capture thread (its port and the uplink): count atomically.
        switch (verdict)
        {
            case Verdict.Forward: Interlocked.Increment(ref device.Counters.Forwarded); break;
            case Verdict.Drop: Interlocked.Increment(ref device.Counters.Dropped); break;
            default: Interlocked.Increment(ref device.Counters.Replied); break;
        }

        return Count(context, verdict, malformed);
    }

    private Verdict Count(ElementContext context, Verdict verdict, bool malformed = false)
    {
        var counters = CountersOf(context);
        if (malformed)
        {
            Increment(ref counters.Malformed, context);
        }

        switch (verdict)
        {
            case Verdict.Forward: Increment(ref counters.Forwarded, context); break;
            case Verdict.Drop: Increment(ref counters.Dropped, context); break;
            default: Increment(ref counters.Replied, context); break;
        }

        return verdict;
    }

    /// <summary>Where this frame is counted: the engine's counters, or the engine thread's own tally under sharding.</summary>
    private EngineCounters CountersOf(ElementContext context) => context.Tally ?? Counters;

    /// <summary>
    /// Counts one on <paramref name="count"/> (a field of <see cref="CountersOf"/>): atomically on the engine's own
    /// counters, which every capture thread writes; plainly on a sharded thread's tally, which only that thread writes
    /// until the run ends (a locked increment would also wait for every store the thread has pending).
    /// </summary>
    private static void Increment(ref long count, ElementContext context)
    {
        if (context.Tally is null)
        {
            Interlocked.Increment(ref count);
        }
        else
        {
            count++;
        }
    }

    /// <summary>The engine's device table as an <see cref="IDeviceMacs"/>.</summary>
    private readonly struct TableMacs(DeviceTable devices) : IDeviceMacs
    {
        public bool IsDevice(ulong mac) => devices.ByMac(mac) is not null;
    }
}

/// <summary>Which MACs are devices', for <see cref="PacketEngine.Attribute"/>.</summary>
public interface IDeviceMacs
{
    bool IsDevice(ulong mac);
}

/// <summary>Watches frames from unregistered MACs on the device side (the pairing window).</summary>
public interface IUnknownSourceObserver
{
    /// <summary>
    /// True when the frame's source is a pairing candidate (it is then not reported as an unknown device). Called
    /// on capture threads: must be quick, bounded and must not block. <paramref name="firstSeen"/> is true the first
    /// time the engine sees the MAC.
    /// </summary>
    bool Observe(Frame frame, bool firstSeen);
}

/// <summary>
/// Remembers recently seen unknown MACs so each raises one alert, in bounded memory even when a flood
/// brings 100,000 random addresses (oldest forgotten first, ring order).
/// </summary>
internal sealed class UnknownMacSet(int capacity)
{
    private readonly HashSet<ulong> _set = new(capacity);
    private readonly ulong[] _ring = new ulong[capacity];
    private int _next;

    public bool Add(ulong mac)
    {
        lock (_set)
        {
            if (!_set.Add(mac))
            {
                return false;
            }

            if (_set.Count > _ring.Length)
            {
                _set.Remove(_ring[_next]);
            }

            _ring[_next] = mac;
            _next = (_next + 1) % _ring.Length;
            return true;
        }
    }
}
