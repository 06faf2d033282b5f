using KalkiEdge.Core;
using KalkiEdge.Core.Policy;

namespace KalkiEdge.Store;

/// <summary>A committed transition with its reaction trace (times in microseconds on the control clock).</summary>
public sealed record TransitionRecord(
    string Device,
    string From,
    string To,
    string Rule,
    string AlertType,
    string Image,
    string ChainText,
    bool FailClosed,
    long StimulusMicros,
    long TriggerMicros,
    long ReactMicros,
    long FinishMicros)
{
    public long ReactionMicros => FinishMicros - StimulusMicros;
}

/// <summary>A telemetry reading (typed EV value).</summary>
public sealed record TelemetryRecord(string Device, string Sensor, long TimeMicros, EvValue Value);

/// <summary>A device as registered (credentials are kept for its monitor and never written to any log).</summary>
public sealed record DeviceRecord(string Name, string? Type, string Mac, IReadOnlyList<string> Ips, string? Group = null,
    string Description = "", string? Credentials = null, long? SamplingIntervalMicros = null, IReadOnlyList<string>? Tags = null)
{
    /// <summary>Redacted: records get printed and logged.</summary>
    public override string ToString() =>
        $"{Name} ({Type ?? "no type"}, {Mac}{(Group is null ? "" : ", group " + Group)}{(Credentials is null ? "" : ", credentials set")})";
}

/// <summary>A device's last committed security state and chain, for restart.</summary>
public sealed record CommittedDeviceState(string Device, string State, string? Image, long SinceMicros);

/// <summary>Limits for the tables that grow with time (the SD card must not fill up).</summary>
public sealed record RetentionPolicy(long MaxAgeMicros, int MaxRows)
{
    public static readonly RetentionPolicy Default = new(7L * 86_400_000_000, 200_000);
}

/// <summary>Store counters for status displays and tests.</summary>
public sealed class StoreCounters
{
    public long Written;
    public long Batches;
    public long DroppedBulk;
    public long Pruned;
    public long Errors;
}

internal abstract record WriteOp;

internal sealed record AlertOp(Alert Alert) : WriteOp;

internal sealed record TransitionOp(TransitionRecord Transition) : WriteOp;

internal sealed record TelemetryOp(TelemetryRecord Reading) : WriteOp;

internal sealed record UmboxLogOp(string Device, string Element, long TimeMicros, string Message) : WriteOp;

internal sealed record CommandOp(string Device, string Command, string Rule, long TimeMicros) : WriteOp;

internal sealed record AuditOp(long TimeMicros, string Actor, string Action, string Detail) : WriteOp;

internal sealed record FlushOp(TaskCompletionSource Done) : WriteOp;
