using System.Text.Json.Serialization;

namespace KalkiEdge.Management;

/// <summary>GET /health: enough for a boot test or a monitor to know the appliance is up and how it is protected.</summary>
public sealed record HealthReport(
    string Status,
    string Version,
    string Mode,
    HypervisorHealth Hypervisor,
    SigningHealth Signing,
    IReadOnlyList<string> Packs,
    int Devices,
    long Frames,
    double UptimeSeconds);

/// <summary>Which hypervisor backend is in use; an emulated backend is never reported as hardware-protected.</summary>
public sealed record HypervisorHealth(string Backend, bool HardwareProtected, string Description);

/// <summary>The site's packet-signing mode; <see cref="Warning"/> is the loud line shown while signing is off.</summary>
public sealed record SigningHealth(string Mode, string? Warning);

[JsonSerializable(typeof(HealthReport))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
