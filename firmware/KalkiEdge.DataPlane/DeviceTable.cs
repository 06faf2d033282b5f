using System.Collections.Concurrent;

namespace KalkiEdge.DataPlane;

/// <summary>
/// Devices by MAC and by bound IP: O(1) attribution whatever the number of devices. Safe for lookups from
/// capture threads while devices are added, replaced or removed at run time, or addresses learned.
/// </summary>
public sealed class DeviceTable
{
    private readonly ConcurrentDictionary<ulong, DeviceSlot> _byMac = new();
    private readonly ConcurrentDictionary<UInt128, DeviceSlot> _byIp = new();

    public int Count => _byMac.Count;

    public IEnumerable<DeviceSlot> All => _byMac.Values;

    /// <summary>
    /// Adds a fully built device. Its addresses are bound before its MAC becomes visible, so a capture thread that
    /// finds the device by MAC finds all of it. Throws (changing nothing) when the MAC or an address is taken.
    /// </summary>
    public void Add(DeviceSlot device)
    {
        CheckUnicast(device);
        BindIps(device, previous: null);
        if (!_byMac.TryAdd(device.Mac, device))
        {
            ReleaseIps(device, keep: null);
            throw new ArgumentException($"device {device.Name}: MAC {Mac.Format(device.Mac)} already belongs to {_byMac[device.Mac].Name}", nameof(device));
        }
    }

    /// <summary>
    /// Puts <paramref name="next"/> in <paramref name="previous"/>'s place (a device edited at run time): the new
    /// addresses are bound first, then the MAC entry changes owner in one step (same MAC) or the new MAC appears
    /// before the old one goes, so a frame finds one of the two whole, never neither. Throws (changing nothing)
    /// when the new MAC or an address belongs to a third device.
    /// </summary>
    public void Replace(DeviceSlot previous, DeviceSlot next)
    {
        ArgumentNullException.ThrowIfNull(previous);
        CheckUnicast(next);
        BindIps(next, previous);
        bool published = next.Mac == previous.Mac ? _byMac.TryUpdate(next.Mac, next, previous) : _byMac.TryAdd(next.Mac, next);
        if (!published)
        {
            ReleaseIps(next, keep: previous);
            var owner = _byMac.TryGetValue(next.Mac, out var o) ? o.Name : "another device";
            throw new ArgumentException($"device {next.Name}: MAC {Mac.Format(next.Mac)} already belongs to {owner}", nameof(next));
        }

        if (next.Mac != previous.Mac)
        {
            _byMac.TryRemove(new KeyValuePair<ulong, DeviceSlot>(previous.Mac, previous));
        }

        ReleaseIps(previous, keep: next);
    }

    private static void CheckUnicast(DeviceSlot device)
    {
        if (device.Mac == 0 || Mac.IsGroup(device.Mac))
        {
            throw new ArgumentException($"device {device.Name}: {Mac.Format(device.Mac)} is not a unicast MAC address", nameof(device));
        }
    }

    /// <summary>Binds the device's addresses; those <paramref name="previous"/> held move over. All or nothing.</summary>
    private void BindIps(DeviceSlot device, DeviceSlot? previous)
    {
        var ips = device.Ips;
        for (int i = 0; i < ips.Length; i++)
        {
            var ip = ips[i];
            bool bound = _byIp.TryAdd(ip, device) || (previous is not null && _byIp.TryUpdate(ip, device, previous));
            if (!bound)
            {
                var owner = _byIp.TryGetValue(ip, out var o) ? o.Name : "another device";
                for (int j = 0; j < i; j++)
                {
                    Unbind(ips[j], device, previous);
                }

                throw new ArgumentException($"device {device.Name}: IP {Ip.Format(ip)} already belongs to {owner}", nameof(device));
            }
        }
    }

    /// <summary>Releases the device's addresses except those <paramref name="keep"/> now holds.</summary>
    private void ReleaseIps(DeviceSlot device, DeviceSlot? keep)
    {
        foreach (var ip in device.Ips)
        {
            Unbind(ip, device, keep);
        }
    }

    /// <summary>Undoes one binding of <paramref name="device"/>: back to <paramref name="restore"/> if it held the address, else free.</summary>
    private void Unbind(UInt128 ip, DeviceSlot device, DeviceSlot? restore)
    {
        if (restore is not null && restore.IsBound(ip))
        {
            _byIp.TryUpdate(ip, restore, device);
        }
        else
        {
            _byIp.TryRemove(new KeyValuePair<UInt128, DeviceSlot>(ip, device));
        }
    }

    /// <summary>Removes the device: its MAC first (the next frame is an unknown device's), then its addresses.</summary>
    public bool Remove(DeviceSlot device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var removed = _byMac.TryRemove(new KeyValuePair<ulong, DeviceSlot>(device.Mac, device));
        ReleaseIps(device, keep: null);
        return removed;
    }

    public DeviceSlot? ByMac(ulong mac) => _byMac.TryGetValue(mac, out var d) ? d : null;

    public DeviceSlot? ByName(string name) => _byMac.Values.FirstOrDefault(d => d.Name == name);

    public DeviceSlot? OwnerOf(UInt128 ip) => _byIp.TryGetValue(ip, out var d) ? d : null;

    /// <summary>Binds a newly seen address to a device that learns its addresses. False if it may not.</summary>
    internal bool TryLearn(DeviceSlot device, UInt128 ip)
    {
        if (!device.LearnsIps || !_byIp.TryAdd(ip, device))
        {
            return false;
        }

        if (device.TryLearn(ip))
        {
            return true;
        }

        _byIp.TryRemove(ip, out _);
        return false;
    }
}
