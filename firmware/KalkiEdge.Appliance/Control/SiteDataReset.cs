using KalkiEdge.Panel;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Factory reset of the site data, requested by the panel's button. Erasing a database that the running
/// appliance has open is unsafe, so the request only leaves a marker in the data directory and asks for a
/// restart; the next start erases the store before opening it. Erased: the store (devices added at run time,
/// alert, state and telemetry history, audit log, dashboard accounts). Never erased: anything else in the data
/// directory (keys, certificates), the μmbox images, rules, packs, manifest and kalki.yaml.
/// </summary>
public sealed class SiteDataReset(string dataDir, Action restart) : IFactoryReset
{
    public const string MarkerName = "factory-reset.pending";

    /// <summary>Exactly the files a factory reset removes: the SQLite store and its WAL and shared-memory files.</summary>
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

        foreach (var name in ErasedFiles)
        {
            File.Delete(Path.Combine(dataDir, name));
        }

        // The marker goes last: a crash midway repeats the reset at the next start instead of half-doing it.
        File.Delete(marker);
        log($"kalki-edge: factory reset: erased the site data in {dataDir} ({string.Join(", ", ErasedFiles)}); images, manifest and keys are untouched");
        return true;
    }
}
