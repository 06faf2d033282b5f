using System.Text.Json.Serialization;

namespace KalkiEdge.Management.Api;

// The management API's JSON shapes (docs/management-api.md). Times are Unix microseconds.

public sealed record FieldError(string Field, string Message)
{
    public int? Line { get; init; }

    public int? Column { get; init; }

    /// <summary>The corrected word when the message says "did you mean".</summary>
    public string? Suggestion { get; init; }
}

public sealed record ApiError(string Error, IReadOnlyList<FieldError>? Fields = null);

public sealed record SetupState(bool Needed);

public sealed record SetupRequest(string? Username, string? Password, string? Token);

public sealed record LoginRequest(string? Username, string? Password);

public sealed record SessionInfo(string Username, string AntiforgeryToken);

public sealed record TokenInfo(long Id, string Name, long Created, long? LastUsed);

public sealed record TokenRequest(string? Name);

public sealed record TokenCreated(long Id, string Name, string Token);

public sealed record AlertInfo(string Type, long Time, string Info)
{
    public string? Source { get; init; }

    public string? Element { get; init; }

    public int? Count { get; init; }

    public string? Device { get; init; }

    /// <summary>
    /// On the live stream only: how many alerts of this device and type this one event stands for, when repeats
    /// inside the coalescing window were folded into it (<see cref="Live.AlertCoalescer"/>); <see cref="Count"/> is then
    /// their occurrences summed, the other fields the newest one's.
    /// </summary>
    public int? Flood { get; init; }

    /// <summary>With <see cref="Flood"/>: the time of the first alert folded in.</summary>
    public long? Since { get; init; }
}

/// <summary>
/// Alerts the live stream counted but did not itemise in one window: beyond the coalescer's cap on device and alert
/// type pairs, or refused by its full inbox. Times are the appliance's clock (Unix microseconds).
/// </summary>
public sealed record OverflowInfo(long Alerts, long Since, long Time);

public sealed record DeviceSummary(
    string Name,
    string? Type,
    string Mac,
    IReadOnlyList<string> Ips,
    string? State,
    string? Chain,
    string? Image,
    AlertInfo? NewestAlert,
    long? LastSeen,
    string Origin,
    bool NeedsReview,
    long Forwarded,
    long Dropped)
{
    public bool? Deleted { get; init; }
}

public sealed record ElementInfo(string Name, string Kind, long Forwarded, long Dropped, long Alerts);

public sealed record StageInfo(string Stage, long Time, string Info);

public sealed record TransitionInfo(string From, string To, string Rule, long Time, long ReactionMicros, IReadOnlyList<StageInfo> Stages);

public sealed record StateInfo(string State, long Since);

public sealed record ReadingInfo(long Time, string Value);

public readonly record struct TrafficSample(long Time, long Forwarded, long Dropped);

public sealed record CredentialsInfo(string Username);

/// <summary>One device's page; <see cref="Mud"/> is the URL of the MUD file in force as its egress allow-list (null: its pack's own).</summary>
public sealed record DeviceDetail(
    DeviceSummary Device,
    string Description,
    string? Group,
    CredentialsInfo? Credentials,
    IReadOnlyList<ElementInfo> Elements,
    IReadOnlyList<AlertInfo> Alerts,
    IReadOnlyList<TransitionInfo> Transitions,
    IReadOnlyList<StateInfo> States,
    IReadOnlyDictionary<string, IReadOnlyList<ReadingInfo>> Telemetry,
    IReadOnlyList<TrafficSample> Traffic,
    string? Mud);

public sealed record CredentialsRequest(string? Username, string? Password);

public sealed record DeviceRequest(string? Name, string? Type, string? Image, string? Chain, string? Mac, IReadOnlyList<string>? Ips, string? Description, string? Group, CredentialsRequest? Credentials);

public sealed record ResetBody(string? Reason);

/// <summary>Body of POST /api/pairing/candidates/MAC/accept (optional): the device's MUD URL as the administrator names it.</summary>
public sealed record PairingAcceptBody(string? Mud);

public sealed record ResetQueued(string Device, string From, string To, string Actor);

public sealed record OverviewInfo(string Version, string Mode, HypervisorHealth Hypervisor, SigningHealth Signing, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<DeviceSummary> Devices);

public sealed record SensorInfo(string Name, string Kind);

public sealed record PackSummary(string Name, string Description, string InitialState, IReadOnlyList<string> States, IReadOnlyList<SensorInfo> Sensors, IReadOnlyList<string> Commands, IReadOnlyDictionary<string, string> Defaults);

public sealed record EdgeInfo(string From, string To, string Rule, int Priority);

public sealed record GraphInfo(IReadOnlyList<string> States, IReadOnlyList<EdgeInfo> Edges);

public sealed record RuleInfo(string Name, IReadOnlyList<string> From, string To, int Priority, string Window, string When, IReadOnlyList<string> Commands);

public sealed record PackDetail(string Name, string Yaml, GraphInfo Graph, IReadOnlyList<RuleInfo> Rules, IReadOnlyDictionary<string, string> Chains);

public sealed record PackBody(string? Yaml);

/// <summary>POST /api/backup: a passphrase seals the keys into the archive; without one the archive holds none.</summary>
public sealed record BackupBody(string? Passphrase);

/// <summary>A restore that passed every check and waits for the next start.</summary>
public sealed record UpdateInstalled(long Bytes, string Rauc, bool RebootRequested, string Message);

public sealed record RestoreStaged(string Firmware, int Schema, int RuntimeDevices, int EditedPacks, long AuditEntries, IReadOnlyList<string> KeyFiles, bool KeysLeftOut, string Message);

public sealed record PairingInfo(bool Available, bool Open, int RemainingSeconds, int WindowSeconds, int MaxCandidates, IReadOnlyList<CandidateInfo> Candidates, IReadOnlyList<PairedInfo> Recent);

public sealed record CandidateInfo(string Mac, string Device, string Pack, int Confidence, bool NeedsReview, string Evidence, long FirstSeen);

public sealed record PairedInfo(string Device, string Mac, string Pack, int Confidence, bool NeedsReview, bool Admitted, string Detail, long Time);

public sealed record ImageInfo(string Name, int Version, string Description, string Chain, string Measurement, bool InManifest);

/// <summary>One ips rule in force: what the dashboard's rules page lists (Origin is file:line).</summary>
public sealed record IpsRuleInfo(long Sid, string Message, string Action, string Inspection, string Origin);

/// <summary>The ips rules one chain loads: an image (Chain is its name) or a device's own chain (Chain is its text); UsedBy names the packs' states or the devices.</summary>
public sealed record IpsRuleSetInfo(string Chain, string Kind, IReadOnlyList<string> UsedBy, IReadOnlyList<IpsRuleInfo> Rules);

public sealed record AuditInfo(long Time, string Actor, string Action, string Detail);

public sealed record AlertTypeInfo(string Name, string Source, string Description);

public sealed record SettingsInfo(IReadOnlyDictionary<string, string> Site, IReadOnlyDictionary<string, string> Sections);

public sealed record DeviceStats(long Forwarded, long Dropped);

public sealed record StatsEvent(IReadOnlyDictionary<string, DeviceStats> Devices);

public sealed record TransitionEventInfo(string Device, string From, string To, string Rule, long ReactionMicros, long Time);

[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(SetupState))]
[JsonSerializable(typeof(SetupRequest))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(SessionInfo))]
[JsonSerializable(typeof(IReadOnlyList<TokenInfo>))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenCreated))]
[JsonSerializable(typeof(DeviceSummary))]
[JsonSerializable(typeof(IReadOnlyList<DeviceSummary>))]
[JsonSerializable(typeof(DeviceDetail))]
[JsonSerializable(typeof(DeviceRequest))]
[JsonSerializable(typeof(ResetBody))]
[JsonSerializable(typeof(PairingAcceptBody))]
[JsonSerializable(typeof(ResetQueued))]
[JsonSerializable(typeof(OverviewInfo))]
[JsonSerializable(typeof(IReadOnlyList<PackSummary>))]
[JsonSerializable(typeof(PackDetail))]
[JsonSerializable(typeof(PackBody))]
[JsonSerializable(typeof(BackupBody))]
[JsonSerializable(typeof(RestoreStaged))]
[JsonSerializable(typeof(UpdateInstalled))]
[JsonSerializable(typeof(PairingInfo))]
[JsonSerializable(typeof(PairedInfo))]
[JsonSerializable(typeof(IReadOnlyList<ImageInfo>))]
[JsonSerializable(typeof(IReadOnlyList<AuditInfo>))]
[JsonSerializable(typeof(IReadOnlyList<IpsRuleSetInfo>))]
[JsonSerializable(typeof(IReadOnlyList<AlertTypeInfo>))]
[JsonSerializable(typeof(SettingsInfo))]
[JsonSerializable(typeof(StatsEvent))]
[JsonSerializable(typeof(AlertInfo))]
[JsonSerializable(typeof(OverflowInfo))]
[JsonSerializable(typeof(TransitionEventInfo))]
[JsonSerializable(typeof(HealthReport))]
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    MaxDepth = ApiJson.MaxDepth,
    AllowTrailingCommas = false)]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
