using KalkiEdge.Core;

namespace KalkiEdge.DataPlane;

/// <summary>What an element decides for a frame. The first non-Forward verdict ends the chain.</summary>
public enum Verdict : byte
{
    Forward,
    Drop,

    /// <summary>Do not forward; send <see cref="ElementContext.Reply"/> back to where the frame came from.</summary>
    Reply,
}

/// <summary>Per-element counters, readable at run time (Click's handlers). Written by one thread at a time.</summary>
public sealed class ElementCounters
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

    public ElementCounters Counters { get; } = new();

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
public sealed class ElementContext(IAlertSink alerts, IUmboxLogSink? logs = null)
{
    public DeviceSlot Device { get; internal set; } = DeviceSlot.Nobody;

    public Frame Reply { get; } = new(2048);

    internal Element? Current { get; set; }

    internal Frame? CurrentFrame { get; set; }

    public void Raise(string type, string info, long? sid = null, int count = 1)
    {
        if (Current is not null)
        {
            Current.Counters.Alerts++;
        }

        alerts.Raise(new Alert(type, Device.Name, AlertSource.Umbox, CurrentFrame?.TimestampMicros ?? 0, info)
        {
            Element = Current?.Name,
            Sid = sid,
            FrameNumber = CurrentFrame?.Number,
            Count = count,
        });
    }

    public void Log(string message) =>
        logs?.Log(Device.Name, Current?.Name ?? "", CurrentFrame?.TimestampMicros ?? 0, message);
}
