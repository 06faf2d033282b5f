using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Ips;

/// <summary>
/// A rule's address condition: the union of the included blocks (everything when none is listed) minus the
/// excluded ones. This is what <c>any</c>, <c>[a,b]</c> lists and <c>!</c> negation flatten to.
/// </summary>
public sealed class AddressSet
{
    public static readonly AddressSet Any = new([], []);

    private readonly IpNetwork[] _include;
    private readonly IpNetwork[] _exclude;

    public AddressSet(IpNetwork[] include, IpNetwork[] exclude)
    {
        _include = include;
        _exclude = exclude;
    }

    public bool IsAny => _include.Length == 0 && _exclude.Length == 0;

    public bool Contains(UInt128 ip)
    {
        if (_include.Length > 0 && !AnyContains(_include, ip))
        {
            return false;
        }

        return _exclude.Length == 0 || !AnyContains(_exclude, ip);
    }

    private static bool AnyContains(IpNetwork[] blocks, UInt128 ip)
    {
        foreach (var b in blocks)
        {
            if (b.Contains(ip))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A rule's port condition: included ranges (all ports when none) minus excluded ranges.</summary>
public sealed class PortSet
{
    public static readonly PortSet Any = new([], []);

    private readonly (ushort Low, ushort High)[] _include;
    private readonly (ushort Low, ushort High)[] _exclude;

    public PortSet((ushort Low, ushort High)[] include, (ushort Low, ushort High)[] exclude)
    {
        _include = include;
        _exclude = exclude;
    }

    public bool IsAny => _include.Length == 0 && _exclude.Length == 0;

    public bool Contains(ushort port)
    {
        if (_include.Length > 0 && !AnyContains(_include, port))
        {
            return false;
        }

        return _exclude.Length == 0 || !AnyContains(_exclude, port);
    }

    private static bool AnyContains((ushort Low, ushort High)[] ranges, ushort port)
    {
        foreach (var (low, high) in ranges)
        {
            if (port >= low && port <= high)
            {
                return true;
            }
        }

        return false;
    }
}
