using System.Diagnostics;

namespace KalkiEdge.ControlPlane;

/// <summary>The control plane's clock in microseconds since the Unix epoch (the same scale as frame timestamps).</summary>
public interface IControlClock
{
    long NowMicros { get; }
}

/// <summary>Wall clock with Stopwatch resolution (DateTime.UtcNow alone is too coarse for microsecond stage logs).</summary>
public sealed class SystemClock : IControlClock
{
    private readonly long _anchorMicros = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
    private readonly long _anchorTicks = Stopwatch.GetTimestamp();

    public long NowMicros => _anchorMicros + (long)Stopwatch.GetElapsedTime(_anchorTicks).TotalMicroseconds;
}

/// <summary>
/// Frame time: a base (the capture timestamp of the frame being replayed or simulated; the wall clock, once, when a
/// live or idle run starts) plus the compute time spent since. The appliance's control clock in every mode. In
/// replay, stage logs are then exactly what a live appliance would record if frames arrived at their capture
/// times: reaction = compute from stimulus to the new chain in force.
/// </summary>
public sealed class FrameClock : IControlClock
{
    private long _frameMicros;
    private long _frameTicks = Stopwatch.GetTimestamp();

    public long NowMicros => _frameMicros + (long)Stopwatch.GetElapsedTime(_frameTicks).TotalMicroseconds;

    /// <summary>Call when a frame is handed to the engine.</summary>
    public void OnFrame(long captureMicros)
    {
        _frameMicros = captureMicros;
        _frameTicks = Stopwatch.GetTimestamp();
    }
}
