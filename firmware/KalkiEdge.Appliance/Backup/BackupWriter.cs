using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Appliance.Packs;
using KalkiEdge.Core;
using KalkiEdge.Store;

namespace KalkiEdge.Appliance.Backup;

/// <summary>Writes a site backup (<see cref="BackupFormat"/>) of a data directory, while the appliance runs or not.</summary>
public static class BackupWriter
{
    /// <param name="passphrase">Null: no keys. Otherwise the keys are sealed with it (<see cref="KeySeal"/>).</param>
    public static BackupManifest Write(string dataDir, Stream output, string? passphrase)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (passphrase is not null)
        {
            KeySeal.CheckPassphrase(passphrase);
        }

        var entries = new List<BackupEntry>();
        int schema;
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            var snapshot = Path.Combine(dataDir, $".backup-{Environment.ProcessId}.db");
            try
            {
                KalkiStore.SnapshotFile(Path.Combine(dataDir, ControlWiring.StoreFileName), snapshot);
                using (var store = KalkiStore.Open(snapshot))
                {
                    // Open migrates the copy to this firmware's schema: the archive says one version for all of it.
                    schema = store.SchemaVersion;
                }

                using var file = File.OpenRead(snapshot);
                entries.Add(Add(zip, BackupFormat.StoreEntry, file));
            }
            finally
            {
                foreach (var leftover in Directory.Exists(dataDir) ? Directory.GetFiles(dataDir, Path.GetFileName(snapshot) + "*") : [])
                {
                    File.Delete(leftover); // the copy, its WAL, and the copy's own schema snapshot if Open migrated it
                }
            }

            var packs = EditedPacks.Directory(dataDir);
            foreach (var pack in Directory.Exists(packs) ? Directory.GetFiles(packs, "*.yaml").Order(StringComparer.Ordinal).ToArray() : [])
            {
                using var file = File.OpenRead(pack);
                entries.Add(Add(zip, BackupFormat.PacksPrefix + Path.GetFileName(pack), file));
            }

            if (passphrase is not null)
            {
                using var keys = new MemoryStream(KeySeal.Seal(KeyFiles.Pack(Path.Combine(dataDir, KeyFiles.DirectoryName)), passphrase));
                entries.Add(Add(zip, BackupFormat.KeysEntry, keys));
            }

            var manifest = new BackupManifest(BackupFormat.Version, FirmwareVersion.Text, schema, DateTimeOffset.UtcNow, entries);
            using var json = new MemoryStream(manifest.ToJson());
            Add(zip, BackupFormat.ManifestEntry, json);
            return manifest;
        }
    }

    private static BackupEntry Add(ZipArchive zip, string name, Stream content)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        using var target = entry.Open();
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = content.Read(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            target.Write(buffer, 0, read);
            size += read;
        }

        return new BackupEntry(name, size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
