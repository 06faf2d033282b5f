using KalkiEdge.Core;

namespace KalkiEdge.DataPlane;

/// <summary>
/// Aggregates repeated platform alerts: at most one per key per interval (frame time); the next alert carries
/// the count of those it stands for. Keeps alert floods from spoofed or unknown frames bounded.
/// </summary>
public sealed class AlertThrottle(IAlertSink sink, long intervalMicros = 1_000_000, int maxKeys = 4096)
{
    private readonly Dictionary<(string Device, string Type), (long Last, int Suppressed)> _state = [];

    public long Suppressed { get; private set; }

    // Platform alerts are rare; one lock keeps the table consistent across capture threads.

    /// <summary>An alert about <paramref name="frame"/> (its time, number, addresses and ingress), unless throttled.</summary>
    public void Raise<TState>(string type, string device, Frame frame, AlertAction action, TState state, Func<TState, string> info)
    {
        lock (_state)
        {
            RaiseLocked(type, device, frame, action, state, info);
        }
    }

    private void RaiseLocked<TState>(string type, string device, Frame frame, AlertAction action, TState state, Func<TState, string> info)
    {
        var timeMicros = frame.TimestampMicros;
        var key = (device, type);
        if (_state.TryGetValue(key, out var s) && timeMicros - s.Last < intervalMicros)
        {
            _state[key] = (s.Last, s.Suppressed + 1);
            Suppressed++;
            return;
        }

        if (_state.Count >= maxKeys)
        {
            // Bounded memory under floods of distinct keys: forget everything and start over.
            _state.Clear();
        }

        _state[key] = (timeMicros, 0);
        sink.Raise(new Alert(type, device, AlertSource.Platform, timeMicros, info(state))
        {
            FrameNumber = frame.Number,
            Count = 1 + s.Suppressed,
            Flow = frame.ReadFlow(),
            Interface = frame.Ingress,
            Action = action,
        });
    }
}
