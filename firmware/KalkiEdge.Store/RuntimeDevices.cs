namespace KalkiEdge.Store;

/// <summary>
/// A device added at run time (dashboard, pairing) as committed: the same fields a kalki.yaml device entry has,
/// so it is rebuilt at start exactly as if it were written there. Exactly one of Type, Image and Chain is set.
/// </summary>
public sealed record RuntimeDeviceRecord(string Name, string Mac, IReadOnlyList<string> Ips, string? Type, string? Image, string? Chain,
    string? Group = null, string Description = "", string? CredentialsUser = null, string? CredentialsPassword = null)
{
    /// <summary>
    /// The MUD file that narrows the device's egress (<see cref="KalkiStore.SetRuntimeDeviceMud"/> writes it; saving
    /// the record leaves it as stored unless asked to write it).
    /// </summary>
    public RuntimeDeviceMud? Mud { get; init; }

    /// <summary>Redacted: records get printed and logged.</summary>
    public override string ToString() =>
        $"{Name} ({Type ?? Image ?? "chain"}, {Mac}{(Ips.Count == 0 ? "" : ", " + string.Join(" ", Ips))}{(CredentialsUser is null ? "" : ", credentials set")})";
}

/// <summary>A device's MUD file (RFC 8520) as resolved when it paired: its URL and its JSON text.</summary>
public sealed record RuntimeDeviceMud(string Url, string File);

/// <summary>An operator action to commit in the same transaction as the change it describes.</summary>
public sealed record AuditEntry(long TimeMicros, string Actor, string Action, string Detail);
