using System.Text.RegularExpressions;

namespace KalkiEdge.Appliance.Backup;

/// <summary>
/// The site backup archive: a zip holding <c>manifest.json</c> (format, version, firmware, schema, and each entry's
/// size and SHA-256), <c>store.db</c> (a consistent copy of the SQLite store: devices added at run time, history,
/// audit log, dashboard accounts), <c>packs/TYPE.yaml</c> (packs edited at run time, with their policies) and, only
/// when asked, <c>keys.sealed</c> (the data directory's keys, encrypted with a passphrase: <see cref="KeySeal"/>).
/// Every name, size and count is bounded so that a hostile archive is refused before it costs memory or disk.
/// </summary>
public static partial class BackupFormat
{
    public const string Name = "kalki-edge-backup";
    public const int Version = 1;

    public const string ManifestEntry = "manifest.json";
    public const string StoreEntry = "store.db";
    public const string PacksPrefix = "packs/";
    public const string KeysEntry = "keys.sealed";

    public const long MaxManifestBytes = 1 << 20;
    public const long MaxStoreBytes = 1L << 30;
    public const long MaxPackBytes = 1 << 20;
    public const long MaxKeysBytes = 4 << 20;
    public const int MaxEntries = 1024;

    /// <summary>The most an archive may unpack to in all: the store and every other entry at its limit.</summary>
    public const long MaxTotalBytes = MaxStoreBytes + MaxManifestBytes + MaxKeysBytes + (MaxEntries * MaxPackBytes);

    /// <summary>The size limit of an entry, or null when the name is not one an archive may hold.</summary>
    public static long? LimitFor(string entry) => entry switch
    {
        ManifestEntry => MaxManifestBytes,
        StoreEntry => MaxStoreBytes,
        KeysEntry => MaxKeysBytes,
        _ when entry.StartsWith(PacksPrefix, StringComparison.Ordinal) && PackFileName().IsMatch(entry[PacksPrefix.Length..]) => MaxPackBytes,
        _ => null,
    };

    /// <summary>A pack file name: a device type name and .yaml, no directory part (so no path can leave the data directory).</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\\.yaml$", RegexOptions.CultureInvariant)]
    public static partial Regex PackFileName();
}
