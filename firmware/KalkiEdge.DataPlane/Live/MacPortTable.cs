using System.Collections.Concurrent;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// Which device port each MAC was last seen on, so frames from the uplink go out the one port where their
/// destination lives. Bounded: at capacity the oldest learned MAC is forgotten (its frames are then flooded
/// to every device port, as a switch does). Lookups are lock-free; learning locks only when something changes.
/// </summary>
public sealed class MacPortTable
{
    public const int DefaultCapacity = 4096;

    private readonly ConcurrentDictionary<ulong, int> _ports;
    private readonly ulong[] _ring;
    private readonly Lock _gate = new();
    private int _next;

    public MacPortTable(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ports = new ConcurrentDictionary<ulong, int>(concurrencyLevel: 4, capacity);
        _ring = new ulong[capacity];
    }

    public int Capacity => _ring.Length;

    public int Count => _ports.Count;

    public long Evictions { get; private set; }

    /// <summary>The port index <paramref name="mac"/> was last seen on, or -1.</summary>
    public int PortOf(ulong mac) => _ports.TryGetValue(mac, out var port) ? port : -1;

    public void Learn(ulong mac, int port)
    {
        if (_ports.TryGetValue(mac, out var known) && known == port)
        {
            return; // the common case: nothing moved, no lock
        }

        lock (_gate)
        {
            if (_ports.ContainsKey(mac))
            {
                _ports[mac] = port; // the device moved to another port
                return;
            }

            if (_ports.Count >= _ring.Length)
            {
                _ports.TryRemove(_ring[_next], out _);
                Evictions++;
            }

            _ports[mac] = port;
            _ring[_next] = mac;
            _next = (_next + 1) % _ring.Length;
        }
    }
}
