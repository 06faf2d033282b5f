using KalkiEdge.Core;
using KalkiEdge.Management.Api;

namespace KalkiEdge.Management.Live;

/// <summary>
/// Folds an alert storm into a few live events before the dashboard's fan-out. Per device and alert type: the first
/// alert of a quiet pair goes out at once; repeats inside its window (<see cref="Window"/> from the moment it went
/// out) are folded into one event sent when the window ends, carrying how many it stands for, and the window
/// restarts while repeats keep coming; a window that ends with nothing folded forgets the pair. So a lone alert is
/// never delayed, and a storm costs at most one event per pair and window. At most <see cref="MaxKeys"/> pairs
/// are tracked: an alert of a further pair is not itemised but counted into one overflow event per window (as are
/// alerts the stream's full inbox refused, <see cref="Shed"/>), so memory stays bounded and nothing goes uncounted.
/// Single-threaded: the stream's pump is its only caller.
/// </summary>
public sealed class AlertCoalescer
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMilliseconds(250);

    public const int DefaultMaxKeys = 1024;

    private readonly TimeProvider _time;
    private readonly long _windowTicks;
    private readonly Dictionary<(string Device, string Type), Fold> _open = [];

    // Every tracked pair once, in the order its window ends: windows start at "now" and time only moves forward.
    private readonly Queue<Fold> _byWindowEnd = new();
    private Overflow? _overflow;
    private long _folded;
    private long _overflowed;

    public AlertCoalescer(TimeProvider time, TimeSpan? window = null, int maxKeys = DefaultMaxKeys)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        _time = time;
        Window = window ?? DefaultWindow;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Window, TimeSpan.Zero);
        MaxKeys = maxKeys;
        _windowTicks = (long)(Window.TotalSeconds * time.TimestampFrequency);
    }

    public TimeSpan Window { get; }

    public int MaxKeys { get; }

    /// <summary>Device and alert type pairs tracked now (at most <see cref="MaxKeys"/>).</summary>
    public int Keys => _open.Count;

    /// <summary>Alerts folded into another event of their pair (not sent on their own).</summary>
    public long Folded => Interlocked.Read(ref _folded);

    /// <summary>Alerts counted into an overflow event instead of being itemised.</summary>
    public long Overflowed => Interlocked.Read(ref _overflowed);

    /// <summary>The event to send now for <paramref name="alert"/>, or null when it was folded (or counted as overflow).</summary>
    public AlertInfo? Offer(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var key = (alert.Device, alert.Type);
        if (_open.TryGetValue(key, out var fold))
        {
            fold.Add(alert);
            Interlocked.Increment(ref _folded);
            return null;
        }

        if (_open.Count >= MaxKeys)
        {
            Shed(1);
            return null;
        }

        fold = new Fold(key, _time.GetTimestamp());
        _open.Add(key, fold);
        _byWindowEnd.Enqueue(fold);
        return Info(alert);
    }

    /// <summary>Counts <paramref name="alerts"/> that reached no pair (the stream's inbox was full) into the overflow event.</summary>
    public void Shed(long alerts)
    {
        if (alerts <= 0)
        {
            return;
        }

        _overflow ??= new Overflow(_time.GetTimestamp(), NowMicros());
        _overflow.Alerts += alerts;
        Interlocked.Add(ref _overflowed, alerts);
    }

    /// <summary>Adds the events of every window that has ended (floods, then the overflow) to <paramref name="output"/>.</summary>
    public void Flush(List<StreamEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var now = _time.GetTimestamp();
        while (_byWindowEnd.TryPeek(out var fold) && now - fold.Start >= _windowTicks)
        {
            _byWindowEnd.Dequeue();
            if (fold.Newest is not null)
            {
                output.Add(new StreamEvent(StreamEvent.Alert, fold.Take()));
                fold.Start = now;
                _byWindowEnd.Enqueue(fold);
            }
            else
            {
                _open.Remove(fold.Key);
            }
        }

        if (_overflow is { } overflow && now - overflow.Start >= _windowTicks)
        {
            output.Add(new StreamEvent(StreamEvent.Overflow, new OverflowInfo(overflow.Alerts, overflow.SinceMicros, NowMicros())));
            _overflow = null;
        }
    }

    /// <summary>Time until the next window ends (zero when one already has), or null when none is open.</summary>
    public TimeSpan? UntilNextWindowEnds()
    {
        long? start = _byWindowEnd.TryPeek(out var fold) ? fold.Start : null;
        if (_overflow is { } overflow && (start is null || overflow.Start < start))
        {
            start = overflow.Start;
        }

        if (start is null)
        {
            return null;
        }

        var left = Window - _time.GetElapsedTime(start.Value);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private static AlertInfo Info(Alert a) =>
        new(a.Type, a.TimeMicros, a.Info) { Device = a.Device, Source = a.Source.ToString(), Element = a.Element, Count = a.Count };

    private long NowMicros() => _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;

    /// <summary>One pair's open window: the alerts folded since its last event went out.</summary>
    private sealed class Fold((string Device, string Type) key, long start)
    {
        public (string Device, string Type) Key { get; } = key;

        public long Start { get; set; } = start;

        public Alert? Newest { get; private set; }

        private int _alerts;
        private int _occurrences;
        private long _since;

        public void Add(Alert alert)
        {
            if (Newest is null)
            {
                _since = alert.TimeMicros;
            }

            Newest = alert;
            _alerts = _alerts == int.MaxValue ? _alerts : _alerts + 1;
            _occurrences = (int)Math.Min(int.MaxValue, (long)_occurrences + alert.Count);
        }

        /// <summary>The event for what was folded (a single alert as itself), and an empty window after it.</summary>
        public AlertInfo Take()
        {
            var newest = Newest!;
            var info = _alerts == 1 ? Info(newest) : Info(newest) with { Count = _occurrences, Flood = _alerts, Since = _since };
            Newest = null;
            _alerts = 0;
            _occurrences = 0;
            return info;
        }
    }

    private sealed class Overflow(long start, long sinceMicros)
    {
        public long Start { get; } = start;

        public long SinceMicros { get; } = sinceMicros;

        public long Alerts { get; set; }
    }
}
