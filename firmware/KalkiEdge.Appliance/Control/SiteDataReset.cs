using KalkiEdge.Panel;
using KalkiEdge.Store;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Factory reset of the site data, requested by the panel's button. Erasing a database that the running
/// appliance has open is unsafe, so the request only leaves a marker in the data directory and asks for a
/// restart; the next start erases the store before opening it. Erased: the store (devices added at run time with
/// their MUD files, alert, state and telemetry history, audit log, dashboard accounts) and every copy of it the
/// appliance made (the snapshots taken before a schema migration, the store a restore replaced), since each
/// holds the same accounts and history. Never erased: anything else in the data directory (keys, certificates,
/// the operator's pack edits), the μmbox images, rules, packs, manifest and kalki.yaml.
/// </summary>
public sealed class SiteDataReset(string dataDir, Action restart) : IFactoryReset
{
    public const string MarkerName = "factory-reset.pending";

    /// <summary>The store's files (the SQLite store, its WAL and shared-memory files), erased with the store's snapshots in the data directory and in the folder a restore set aside.</summary>
    public static IReadOnlyList<string> ErasedFiles { get; } =
        [ControlWiring.StoreFileName, ControlWiring.StoreFileName + "-wal", ControlWiring.StoreFileName + "-shm"];

    public void Request()
    {
        Directory.CreateDirectory(dataDir);
        File.WriteAllText(Path.Combine(dataDir, MarkerName), DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        restart();
    }

    /// <summary>At start, before the store opens: carries out a requested reset. True when it erased the site data.</summary>
    public static bool ApplyPending(string dataDir, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var marker = Path.Combine(dataDir, MarkerName);
        if (!File.Exists(marker))
        {
            return false;
        }

        var erased = new List<string>();
        foreach (var dir in new[] { dataDir, Path.Combine(dataDir, Backup.SiteRestore.ReplacedName) }.Where(Directory.Exists))
        {
            foreach (var file in ErasedFiles.Select(name => Path.Combine(dir, name)).Where(File.Exists).Concat(Directory.GetFiles(dir, KalkiStore.SnapshotPattern(ControlWiring.StoreFileName))))
            {
                File.Delete(file);
                erased.Add(Path.GetRelativePath(dataDir, file));
            }
        }

        // The marker goes last: a crash midway repeats the reset at the next start instead of half-doing it.
        File.Delete(marker);
        log($"kalki-edge: factory reset: erased the site data in {dataDir} ({(erased.Count == 0 ? "no store yet" : string.Join(", ", erased))}); images, manifest and keys are untouched");
        return true;
    }
}
