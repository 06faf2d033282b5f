using KalkiEdge.Core;

namespace KalkiEdge.Export.Events;

/// <summary>
/// Where a device stood when an event happened: its pack (device type), security state and the chain in force
/// (image name, or the chain text of a device configured with one). Taken on the control thread at the moment of
/// the event, so a sink that writes later still reports the state of that moment.
/// </summary>
public readonly record struct DeviceContext(string? Pack, string? State, string? Chain)
{
    public static DeviceContext Unknown => default;
}

/// <summary>
/// One thing the appliance reports: the one event model every sink (EVE file, journal, syslog, the dashboard's
/// event stream) consumes, each formatting it its own way. Immutable; made once per event and shared by the sinks.
/// </summary>
public abstract record ApplianceEvent(long TimeMicros, string Device, DeviceContext Context)
{
    private byte[]? _eveLine;

    /// <summary>A copy made with <c>with</c> formats its own EVE line: the original's may no longer describe it.</summary>
    protected ApplianceEvent(ApplianceEvent original)
    {
        ArgumentNullException.ThrowIfNull(original);
        TimeMicros = original.TimeMicros;
        Device = original.Device;
        Context = original.Context;
    }

    /// <summary>
    /// The event as one EVE JSON line with its newline, formatted by whichever sink asks first and then shared by
    /// every other (EVE file, fleet, syslog, journal, the dashboard's stream): one serialisation per event, off the
    /// control thread. Never modify the array.
    /// </summary>
    internal byte[] EveLine =>
        Volatile.Read(ref _eveLine) ?? Interlocked.CompareExchange(ref _eveLine, Eve.EveFormat.Line(this), null) ?? _eveLine!;

    /// <summary>The cached line is not part of the event's value.</summary>
    public virtual bool Equals(ApplianceEvent? other) =>
        other is not null && EqualityContract == other.EqualityContract && TimeMicros == other.TimeMicros && Device == other.Device && Context == other.Context;

    public override int GetHashCode() => HashCode.Combine(EqualityContract, TimeMicros, Device, Context);
}

/// <summary>An alert as the control plane evaluated it.</summary>
public sealed record AlertEvent(Alert Alert, DeviceContext Context) : ApplianceEvent(Alert.TimeMicros, Alert.Device, Context);

/// <summary>A security-state change whose new chain is in force (the context is the state after the change).</summary>
public sealed record TransitionOccurred(TransitionEvent Transition, DeviceContext Context)
    : ApplianceEvent(Transition.StimulusMicros, Transition.Device, Context);

/// <summary>
/// Receives events, on the control thread (pairing results: on the panel's thread): implementations must be
/// thread-safe, return quickly and never block.
/// </summary>
public interface IEventSink
{
    void Publish(ApplianceEvent e);
}

/// <summary>How a pairing ended: a device admitted, one the registry refused, or the window cancelled by the operator.</summary>
public enum PairingOutcome
{
    Accepted,
    Rejected,
    Cancelled,
}

/// <summary>
/// A pairing result from the field panel (or replay's pairing window). <see cref="ApplianceEvent.Device"/> is the
/// name the device was (or would have been) registered under; empty for a cancelled window.
/// </summary>
public sealed record PairingOccurred(long TimeMicros, string Device, PairingOutcome Outcome, string? Mac, string? Pack, int Confidence, bool NeedsReview, string Detail, string? Evidence)
    : ApplianceEvent(TimeMicros, Device, new DeviceContext(Pack, null, null));
