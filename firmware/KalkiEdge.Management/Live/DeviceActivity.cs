using System.Collections.Concurrent;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Events;
using KalkiEdge.Management.Api;

namespace KalkiEdge.Management.Live;

/// <summary>
/// What the dashboard shows about each device beyond the engine's counters: frames forwarded and dropped per second
/// (a bounded ring per device, made at its first traffic), when it last sent a frame, and its newest alert. Sampled
/// once a second off the frame path; the changes go out as the <c>stats</c> event. The newest alert comes from the
/// appliance's event hub, of which this is a sink.
/// </summary>
public sealed class DeviceActivity : IEventSink, IDisposable
{
    /// <summary>Per-second samples kept per device (five minutes; about 7 KB, made only for a device with traffic).</summary>
    public const int RingSeconds = 300;

    private readonly DeviceTable _devices;
    private readonly DashboardStream _events;
    private readonly ConcurrentDictionary<string, Track> _tracks = new(StringComparer.Ordinal);
    private readonly Timer _timer;

    public DeviceActivity(DeviceTable devices, DashboardStream events, TimeSpan? period = null)
    {
        _devices = devices;
        _events = events;
        var every = period ?? TimeSpan.FromSeconds(1);
        _timer = new Timer(_ => Sample(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000), null, every, every);
    }

    /// <summary>Keeps the device's newest alert (called on the control plane's thread: only a reference write).</summary>
    public void Publish(ApplianceEvent e)
    {
        if (e is AlertEvent { Alert: var alert } && _tracks.TryGetValue(alert.Device, out var track))
        {
            track.NewestAlert = alert;
        }
    }

    public Alert? NewestAlert(string device) => _tracks.TryGetValue(device, out var t) ? t.NewestAlert : null;

    public long? LastSeen(string device) => _tracks.TryGetValue(device, out var t) && t.LastSeen > 0 ? t.LastSeen : null;

    /// <summary>The device's per-second samples, oldest first (seconds without traffic are not kept).</summary>
    public IReadOnlyList<TrafficSample> Traffic(string device) => _tracks.TryGetValue(device, out var t) ? t.Samples() : [];

    /// <summary>One sampling round (the timer calls it every second; tests call it directly).</summary>
    public void Sample(long nowMicros)
    {
        Dictionary<string, DeviceStats>? changed = null;
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slot in _devices.All)
        {
            present.Add(slot.Name);
            var track = _tracks.GetOrAdd(slot.Name, static (_, s) => new Track(s), slot);
            if (track.Slot != slot)
            {
                // Edited at run time: a new slot with fresh counters.
                _tracks[slot.Name] = track = new Track(slot) { NewestAlert = track.NewestAlert, LastSeen = track.LastSeen };
            }

            if (track.Observe(nowMicros) is { } totals)
            {
                (changed ??= new(StringComparer.Ordinal))[slot.Name] = totals;
            }
        }

        foreach (var name in _tracks.Keys.Where(n => !present.Contains(n)))
        {
            _tracks.TryRemove(name, out _);
        }

        if (changed is not null)
        {
            _events.Publish("stats", new StatsEvent(changed));
        }
    }

    public void Dispose() => _timer.Dispose();

    private sealed class Track(DeviceSlot slot)
    {
        private readonly Lock _gate = new();
        private TrafficSample[]? _ring;
        private int _next;
        private int _count;
        private long _forwarded;
        private long _dropped;
        private long _fromDevice;

        public DeviceSlot Slot { get; } = slot;

        public Alert? NewestAlert { get; set; }

        public long LastSeen { get; set; }

        /// <summary>Adds this second's sample; the new totals when anything moved, else null.</summary>
        public DeviceStats? Observe(long now)
        {
            var c = Slot.Counters;
            long forwarded = Interlocked.Read(ref c.Forwarded), dropped = Interlocked.Read(ref c.Dropped), fromDevice = Interlocked.Read(ref c.FromDeviceFrames);
            if (fromDevice != _fromDevice)
            {
                LastSeen = now;
            }

            _fromDevice = fromDevice;
            if (forwarded == _forwarded && dropped == _dropped)
            {
                return null;
            }

            lock (_gate)
            {
                _ring ??= new TrafficSample[RingSeconds];
                _ring[_next] = new TrafficSample(now, forwarded - _forwarded, dropped - _dropped);
                _next = (_next + 1) % _ring.Length;
                _count = Math.Min(_count + 1, _ring.Length);
            }

            _forwarded = forwarded;
            _dropped = dropped;
            return new DeviceStats(forwarded, dropped);
        }

        public TrafficSample[] Samples()
        {
            lock (_gate)
            {
                if (_ring is null)
                {
                    return [];
                }

                var result = new TrafficSample[_count];
                for (int i = 0; i < _count; i++)
                {
                    result[i] = _ring[(_next - _count + i + _ring.Length) % _ring.Length];
                }

                return result;
            }
        }
    }
}
