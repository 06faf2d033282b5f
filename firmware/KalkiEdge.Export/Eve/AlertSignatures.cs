using KalkiEdge.Core;

namespace KalkiEdge.Export.Eve;

/// <summary>An alert's rule identity as EVE reports it (<c>alert.gid</c>, <c>signature_id</c>, <c>rev</c>, …).</summary>
public readonly record struct AlertSignature(int Gid, long SignatureId, int Rev, string Signature, string? Category, int Severity);

/// <summary>
/// Signature ids for the appliance's alerts. IPS alerts keep their rule's identity (gid 1, the rule's sid and rev,
/// its message and class type), so a SIEM rule written for Suricata's alerts matches them. The appliance's own
/// alert types use gid <see cref="KalkiGid"/> with one fixed sid per type (a contract: never renumber);
/// alert types defined by packs (telemetry conditions) share sid <see cref="PackAlertSid"/> and name their type
/// in the signature.
/// </summary>
public static class AlertSignatures
{
    public const int RuleGid = 1;
    public const int KalkiGid = 9000;
    public const long PackAlertSid = 100;

    private static readonly Dictionary<string, (long Sid, string Signature, string ClassType)> BuiltIn = new(StringComparer.Ordinal)
    {
        [AlertTypes.PortScan] = (1, "KALKI port scan", "attempted-recon"),
        [AlertTypes.Flood] = (2, "KALKI traffic flood", "attempted-dos"),
        [AlertTypes.BruteForce] = (3, "KALKI brute force on device credentials", "attempted-user"),
        [AlertTypes.DefaultLogin] = (4, "KALKI login with a default password", "default-login-attempt"),
        [AlertTypes.MaxLoginAttempts] = (5, "KALKI too many login attempts", "suspicious-login"),
        [AlertTypes.ArpSpoof] = (6, "KALKI ARP spoofing", "misc-attack"),
        [AlertTypes.IpSpoof] = (7, "KALKI IP source address spoofing", "misc-attack"),
        [AlertTypes.MacSpoof] = (8, "KALKI device MAC address seen from the network side", "misc-attack"),
        [AlertTypes.UnknownDevice] = (9, "KALKI frame from an unregistered device", "unknown"),
        [AlertTypes.AbnormalEgress] = (10, "KALKI abnormal egress from a device", "trojan-activity"),
        [AlertTypes.ControlAttempt] = (11, "KALKI control request to a protected device", "attempted-admin"),
        [AlertTypes.AttestationFailure] = (12, "KALKI image attestation failure", Classifications.KalkiIntegrity),
        [AlertTypes.SignatureFailure] = (13, "KALKI packet signature failure", Classifications.KalkiIntegrity),
        [AlertTypes.ChainFailure] = (14, "KALKI chain deployment failure", Classifications.KalkiIntegrity),
        [AlertTypes.DeviceUnavailable] = (15, "KALKI device stopped reporting", "misc-activity"),
        [AlertTypes.StateReset] = (16, "KALKI operator state reset", "not-suspicious"),
        [AlertTypes.PairingLimit] = (17, "KALKI pairing window saw more new devices than its limit", "misc-activity"),
        [AlertTypes.CommandFailed] = (18, "KALKI command to a device could not be delivered", "misc-activity"),
    };

    public static AlertSignature For(Alert alert)
    {
        if (alert.Type == AlertTypes.Ips && alert.Sid is { } sid)
        {
            var (category, severity) = Classifications.Of(alert.ClassType);
            return new AlertSignature(RuleGid, sid, alert.Rev, alert.Info, category, severity);
        }

        if (BuiltIn.TryGetValue(alert.Type, out var b))
        {
            var (category, severity) = Classifications.Of(b.ClassType);
            return new AlertSignature(KalkiGid, b.Sid, 1, b.Signature, category, severity);
        }

        var (c, s) = Classifications.Of("misc-activity");
        return new AlertSignature(KalkiGid, PackAlertSid, 1, "KALKI telemetry alert " + alert.Type, c, s);
    }

    /// <summary>Every built-in alert type has a signature (checked by the tests, so a new type cannot be forgotten).</summary>
    internal static bool Covers(string type) => BuiltIn.ContainsKey(type) || type == AlertTypes.Ips;
}
