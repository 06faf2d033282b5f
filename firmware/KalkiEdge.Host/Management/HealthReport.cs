using System.Text.Json.Serialization;

namespace KalkiEdge.Host.Management;

/// <summary>GET /health: enough for a boot test or a monitor to know the appliance is up and how it is protected.</summary>
public sealed record HealthReport(
    string Status,
    string Version,
    string Mode,
    HypervisorHealth Hypervisor,
    IReadOnlyList<string> Packs,
    int Devices,
    long Frames,
    double UptimeSeconds);

/// <summary>Which hypervisor backend is in use; an emulated backend is never reported as hardware-protected.</summary>
public sealed record HypervisorHealth(string Backend, bool HardwareProtected, string Description);

[JsonSerializable(typeof(HealthReport))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
