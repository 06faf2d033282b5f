using KalkiEdge.Core;
using KalkiEdge.DataPlane.Sharding;

namespace KalkiEdge.DataPlane;

/// <summary>What an element decides for a frame. The first non-Forward verdict ends the chain.</summary>
public enum Verdict : byte
{
    Forward,
    Drop,

    /// <summary>Do not forward; send <see cref="ElementContext.Reply"/> back to where the frame came from.</summary>
    Reply,
}

/// <summary>
/// Per-element counters, readable at run time (Click's handlers). Written by one thread at a time. A value held
/// inside its element (<see cref="Element.Counters"/>), not an object of its own: every device has an instance of
/// every element of its chain, and an object apiece cost a header and a reference more (0.8 MB at 10,000 devices).
/// </summary>
public struct ElementCounters
{
    public long Received;
    public long Forwarded;
    public long Dropped;
    public long Replied;
    public long Alerts;
}

/// <summary>
/// A μmbox element: one job, configured by name and arguments, deciding forward / drop / reply per frame and
/// possibly raising alerts. Instances hold per-device state and are never shared between devices; the engine
/// guarantees one thread at a time per instance.
/// </summary>
public abstract class Element
{
    public string Name { get; internal set; } = "";

    /// <summary>The element's counters, updated in place (a field, so <c>Counters.Received++</c> writes the element's own).</summary>
    public ElementCounters Counters;

    public abstract Verdict Process(Frame frame, ElementContext context);

    /// <summary>True when this element drops every frame unread (lets the engine skip decoding).</summary>
    public virtual bool DropsAll => false;
}

/// <summary>Immutable, validated element configuration; shared by every device's instance of the element.</summary>
public interface IElementSpec
{
    string Name { get; }

    Element CreateInstance();
}

/// <summary>A spec whose configuration is a value and whose instances are made by a function.</summary>
public sealed class ElementSpec<TConfig>(string name, TConfig config, Func<TConfig, Element> create) : IElementSpec
{
    public string Name { get; } = name;

    public TConfig Config { get; } = config;

    public Element CreateInstance() => create(Config);
}

/// <summary>Receives μmbox log records (e.g. periodic statistics); never blocks.</summary>
public interface IUmboxLogSink
{
    void Log(string device, string element, long timeMicros, string message);
}

/// <summary>
/// What an element may use while processing: the device the frame belongs to, a buffer for a reply frame,
/// and the alert/log sinks. One context per processing thread; reused for every frame.
/// </summary>
/// <remarks>
/// Alerts raised while a chain runs are held until the chain's verdict is known (<see cref="ReleaseAlerts"/>),
/// so each carries what became of its packet; the holding buffer is reused, and nothing is allocated for frames
/// that raise nothing.
/// </remarks>
public sealed class ElementContext(IAlertSink alerts, IUmboxLogSink? logs = null)
{
    private PendingAlert[] _pending = new PendingAlert[4];
    private int _pendingCount;

    public DeviceSlot Device { get; internal set; } = DeviceSlot.Nobody;

    /// <summary>
    /// The chain generation that gave the current frame its verdict (<see cref="ChainRun.None"/> when no chain ran):
    /// set by <see cref="PacketEngine.Process"/> for each frame, so what follows the engine (packet signing) needs no
    /// second lookup of the device and sees the very chain that ran.
    /// </summary>
    public ChainRun Ran { get; internal set; }

    public Frame Reply { get; } = new(2048);

    /// <summary>
    /// Under engine sharding, the current frame's place in the global order: taken before anything whose outcome
    /// depends on other devices' frames (alerts, logs, address learning), so those happen in frame order. Null
    /// when one thread processes every frame.
    /// </summary>
    public IFrameTurn? Turn { get; set; }

    /// <summary>
    /// Under engine sharding, the thread's own engine-wide counts (the merging thread's too), added to
    /// <see cref="PacketEngine.Counters"/> when the run ends: the engine's would otherwise be written by every engine
    /// thread for every frame, and each write would take their cache line from the other cores. Only its thread writes
    /// a tally, so it is counted without locked instructions. Null: counted on the engine at once, atomically.
    /// </summary>
    public EngineCounters? Tally { get; set; }

    /// <summary>Waits until every earlier frame is done (sharded runs; call before touching state other devices share); at once otherwise.</summary>
    public void TakeTurn() => Turn?.Take();

    internal Element? Current { get; set; }

    internal Frame? CurrentFrame { get; set; }

    /// <summary>
    /// Raises an alert for the current frame (<paramref name="sid"/>, <paramref name="rev"/> and
    /// <paramref name="classType"/> name the IPS rule, when one matched).
    /// </summary>
    public void Raise(string type, string info, long? sid = null, int count = 1, int rev = 0, string? classType = null)
    {
        if (Current is not null)
        {
            Current.Counters.Alerts++;
        }

        if (CurrentFrame is null)
        {
            alerts.Raise(new Alert(type, Device.Name, AlertSource.Umbox, 0, info) { Element = Current?.Name, Sid = sid, Count = count, Rev = rev, ClassType = classType });
            return;
        }

        if (_pendingCount == _pending.Length)
        {
            Array.Resize(ref _pending, _pending.Length * 2);
        }

        _pending[_pendingCount++] = new PendingAlert(type, info, sid, count, Current?.Name, rev, classType);
    }

    public void Log(string message)
    {
        TakeTurn();
        logs?.Log(Device.Name, Current?.Name ?? "", CurrentFrame?.TimestampMicros ?? 0, message);
    }

    /// <summary>Raises the alerts held for the current frame, each with what the chain decided for it.</summary>
    internal void ReleaseAlerts(Verdict verdict)
    {
        if (_pendingCount == 0 || CurrentFrame is not { } frame)
        {
            return;
        }

        TakeTurn();
        var action = verdict == Verdict.Forward ? AlertAction.Allowed : AlertAction.Blocked;
        var flow = frame.ReadFlow();
        for (int i = 0; i < _pendingCount; i++)
        {
            ref var p = ref _pending[i];
            alerts.Raise(new Alert(p.Type, Device.Name, AlertSource.Umbox, frame.TimestampMicros, p.Info)
            {
                Element = p.Element,
                Sid = p.Sid,
                Rev = p.Rev,
                ClassType = p.ClassType,
                FrameNumber = frame.Number,
                Count = p.Count,
                Flow = flow,
                Interface = frame.Ingress,
                Action = action,
            });
            p = default;
        }

        _pendingCount = 0;
    }

    private readonly record struct PendingAlert(string Type, string Info, long? Sid, int Count, string? Element, int Rev, string? ClassType);
}
