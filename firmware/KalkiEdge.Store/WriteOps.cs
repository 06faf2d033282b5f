using KalkiEdge.Core;

namespace KalkiEdge.Store;

/// <summary>What the store writer's queue holds: one operation per record, committed in batches on its thread.</summary>
internal abstract record WriteOp;

internal sealed record AlertOp(Alert Alert) : WriteOp;

internal sealed record TransitionOp(TransitionEvent Transition) : WriteOp;

internal sealed record TelemetryOp(TelemetryRecord Reading) : WriteOp;

internal sealed record UmboxLogOp(string Device, string Element, long TimeMicros, string Message) : WriteOp;

internal sealed record CommandOp(string Device, string Command, string Rule, long TimeMicros) : WriteOp;

internal sealed record AuditOp(long TimeMicros, string Actor, string Action, string Detail) : WriteOp;

internal sealed record FlushOp(TaskCompletionSource Done) : WriteOp;

/// <summary>A runtime device and its audit entry; <see cref="Committed"/> hears the outcome (null, or why it failed).</summary>
internal sealed record RuntimeDeviceOp(RuntimeDeviceRecord Device, AuditEntry Audit, Action<string?> Committed) : WriteOp;

/// <summary>A runtime device's MUD file set after its pairing commit (queued behind it); <see cref="Committed"/>: stored or not.</summary>
internal sealed record RuntimeDeviceMudOp(string Name, RuntimeDeviceMud? Mud, AuditEntry Audit, Action<bool> Committed) : WriteOp
{
    /// <summary>Whether the device's row was there to update (set by the write, reported after the commit).</summary>
    public bool Found { get; set; }
}
