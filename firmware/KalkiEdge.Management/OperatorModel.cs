using System.Text.Json.Serialization;

namespace KalkiEdge.Management;

/// <summary>One device as the operator sees it (GET /devices, GET /devices/NAME on the control socket).</summary>
public sealed record DeviceStatus(
    string Name,
    string? Type,
    string? Group,
    string? State,
    string? Chain,
    bool FailClosed,
    int Transitions,
    long Forwarded,
    long Dropped,
    long Replied,
    bool NeedsReview = false);

public sealed record DeviceList(IReadOnlyList<DeviceStatus> Devices);

/// <summary>Body of POST /devices/NAME/reset (optional): why the operator resets, kept in the audit log.</summary>
public sealed record ResetRequest(string? Reason);

/// <summary>202 answer: the reset is queued to the control plane, which returns the device to <see cref="To"/>.</summary>
public sealed record ResetAccepted(string Device, string From, string To, string Actor);

public sealed record OperatorError(string Error);

[JsonSerializable(typeof(DeviceList))]
[JsonSerializable(typeof(DeviceStatus))]
[JsonSerializable(typeof(ResetRequest))]
[JsonSerializable(typeof(ResetAccepted))]
[JsonSerializable(typeof(OperatorError))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
internal sealed partial class OperatorJsonContext : JsonSerializerContext;
