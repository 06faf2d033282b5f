using System.Collections.Concurrent;

namespace KalkiEdge.DataPlane;

/// <summary>
/// Devices by MAC and by bound IP: O(1) attribution whatever the number of devices. Safe for lookups from
/// capture threads while devices are added (pairing) or addresses learned.
/// </summary>
public sealed class DeviceTable
{
    private readonly ConcurrentDictionary<ulong, DeviceSlot> _byMac = new();
    private readonly ConcurrentDictionary<UInt128, DeviceSlot> _byIp = new();

    public int Count => _byMac.Count;

    public IEnumerable<DeviceSlot> All => _byMac.Values;

    public void Add(DeviceSlot device)
    {
        if (device.Mac == 0 || Mac.IsGroup(device.Mac))
        {
            throw new ArgumentException($"device {device.Name}: {Mac.Format(device.Mac)} is not a unicast MAC address", nameof(device));
        }

        if (!_byMac.TryAdd(device.Mac, device))
        {
            throw new ArgumentException($"device {device.Name}: MAC {Mac.Format(device.Mac)} already belongs to {_byMac[device.Mac].Name}", nameof(device));
        }

        foreach (var ip in device.Ips)
        {
            if (!_byIp.TryAdd(ip, device))
            {
                _byMac.TryRemove(device.Mac, out _);
                throw new ArgumentException($"device {device.Name}: IP {Ip.Format(ip)} already belongs to {_byIp[ip].Name}", nameof(device));
            }
        }
    }

    public bool Remove(DeviceSlot device)
    {
        foreach (var ip in device.Ips)
        {
            _byIp.TryRemove(new KeyValuePair<UInt128, DeviceSlot>(ip, device));
        }

        return _byMac.TryRemove(new KeyValuePair<ulong, DeviceSlot>(device.Mac, device));
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
