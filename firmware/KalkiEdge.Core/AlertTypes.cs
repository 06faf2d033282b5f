namespace KalkiEdge.Core;

/// <summary>Alert type names: a contract shared with replay output and packs; each is described in docs/alert-types.md.</summary>
public static class AlertTypes
{
    // KalKi's own names are kept where they exist.
    public const string BruteForce = "brute-force";
    public const string DefaultLogin = "default-login";
    public const string MaxLoginAttempts = "max-login-attempts";
    public const string DeviceUnavailable = "device-unavailable";
    public const string StateReset = "state-reset";

    public const string PortScan = "port-scan";
    public const string Flood = "flood";
    public const string ArpSpoof = "arp-spoof";
    public const string IpSpoof = "ip-spoof";
    public const string MacSpoof = "mac-spoof";
    public const string UnknownDevice = "unknown-device";
    public const string AbnormalEgress = "abnormal-egress";
    public const string Ips = "ips";
    public const string AttestationFailure = "attestation-failure";
    public const string SignatureFailure = "signature-failure";
    public const string ChainFailure = "chain-failure";

    /// <summary>A control request to a device was intercepted (decoy answered it, or a restricted API refused it).</summary>
    public const string ControlAttempt = "control-attempt";

    /// <summary>More new MACs appeared during a pairing window than it may admit; the rest stay unknown devices.</summary>
    public const string PairingLimit = "pairing-limit";

    /// <summary>A command a rule issued could not be delivered to the device (after its retries).</summary>
    public const string CommandFailed = "command-failed";

    /// <summary>Every built-in type; packs may add telemetry alert types of their own.</summary>
    public static readonly IReadOnlySet<string> BuiltIn = new HashSet<string>(StringComparer.Ordinal)
    {
        BruteForce, DefaultLogin, MaxLoginAttempts, DeviceUnavailable, StateReset, PortScan, Flood, ArpSpoof,
        IpSpoof, MacSpoof, UnknownDevice, AbnormalEgress, Ips, AttestationFailure, SignatureFailure, ChainFailure, ControlAttempt,
        PairingLimit, CommandFailed,
    };
}
