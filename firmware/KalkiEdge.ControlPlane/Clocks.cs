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
    // The compute time of the current frame has not started yet (OnFrameUntimed): the first reading starts it.
    private const long Unstarted = long.MinValue;

    private long _frameMicros;
    private long _frameTicks = Stopwatch.GetTimestamp();

    /// <summary>The base: the capture time of the frame being processed (the time <see cref="OnFrame"/> or <see cref="OnFrameUntimed"/> was given).</summary>
    public long FrameMicros => _frameMicros;

    public long NowMicros
    {
        get
        {
            var ticks = Volatile.Read(ref _frameTicks);
            if (ticks == Unstarted)
            {
                Interlocked.CompareExchange(ref _frameTicks, Stopwatch.GetTimestamp(), Unstarted);
                ticks = Volatile.Read(ref _frameTicks);
            }

            return _frameMicros + (long)Stopwatch.GetElapsedTime(ticks).TotalMicroseconds;
        }
    }

    /// <summary>Call when a frame is handed to the engine.</summary>
    public void OnFrame(long captureMicros)
    {
        _frameMicros = captureMicros;
        _frameTicks = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// As <see cref="OnFrame"/>, for a frame nothing is expected to time: its compute time starts at the first reading
    /// of <see cref="NowMicros"/> rather than now, which saves reading the clock for every such frame.
    /// </summary>
    public void OnFrameUntimed(long captureMicros)
    {
        _frameMicros = captureMicros;
        Volatile.Write(ref _frameTicks, Unstarted);
    }
}
