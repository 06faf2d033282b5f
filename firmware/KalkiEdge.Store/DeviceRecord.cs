namespace KalkiEdge.Store;

/// <summary>A device as registered (credentials are kept for its monitor and never written to any log).</summary>
public sealed record DeviceRecord(string Name, string? Type, string Mac, IReadOnlyList<string> Ips, string? Group = null,
    string Description = "", string? Credentials = null, long? SamplingIntervalMicros = null, IReadOnlyList<string>? Tags = null)
{
    /// <summary>Redacted: records get printed and logged.</summary>
    public override string ToString() =>
        $"{Name} ({Type ?? "no type"}, {Mac}{(Group is null ? "" : ", group " + Group)}{(Credentials is null ? "" : ", credentials set")})";
}
