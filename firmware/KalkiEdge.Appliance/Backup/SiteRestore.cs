using System.IO.Compression;
using System.Security.Cryptography;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Appliance.Output;
using KalkiEdge.Appliance.Packs;
using KalkiEdge.Core;
using KalkiEdge.DataPlane.Io;
using Microsoft.Data.Sqlite;

namespace KalkiEdge.Appliance.Backup;

/// <summary>What a validated archive brings: the counts restore reports.</summary>
public sealed record RestoreSummary(BackupManifest Manifest, int RuntimeDevices, int EditedPacks, long AuditEntries, IReadOnlyList<string> KeyFiles, bool KeysLeftOut);

/// <summary>
/// Restore of a site backup in two steps, so that the store is never replaced under a running appliance and never
/// half replaced. <see cref="Stage"/> unpacks the archive into a private folder of the data directory, checks every
/// size and hash, unseals the keys, and then builds the whole appliance on the staged data exactly as a start does
/// (the same loaders and checkers as <c>check</c>, the store's schema guard and migrations, every run-time device
/// against kalki.yaml); only an archive that passes all of it becomes <c>DATA_DIR/restore.pending</c> (one rename).
/// <see cref="ApplyPending"/>, at the next start before anything is read, moves the staged files in and the replaced
/// ones to <c>DATA_DIR/before-restore</c>; each step can be repeated, so a crash midway finishes at the next start.
/// </summary>
public static class SiteRestore
{
    public const string PendingName = "restore.pending";
    public const string ReplacedName = "before-restore";
    private const string StartedMarker = ".started";

    // Two restores staged at once (dashboard and CLI in one process is impossible, two requests are not): one swap at a time.
    private static readonly Lock PendingGate = new();

    /// <summary>Largest archive accepted (the compressed form of everything <see cref="BackupFormat"/> allows).</summary>
    public const long MaxArchiveBytes = BackupFormat.MaxTotalBytes;

    /// <param name="passphrase">Unseals the archive's keys; null leaves the keys in the data directory as they are.</param>
    public static RestoreSummary Stage(Stream archive, SiteConfig config, string? passphrase)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(config);
        var dataDir = config.DataDir;
        PrivateFiles.CreateDirectory(dataDir);
        var staging = Path.Combine(dataDir, $".restore-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        PrivateFiles.CreateDirectory(staging);
        try
        {
            var summary = Unpack(archive, staging, passphrase);
            summary = Validate(config, staging, summary);
            DropKeysMadeByValidation(staging, summary.KeyFiles);
            GiveToDataDirOwner(dataDir, staging);
            var pending = Path.Combine(dataDir, PendingName);
            lock (PendingGate)
            {
                if (Directory.Exists(pending))
                {
                    Directory.Delete(pending, recursive: true); // an earlier restore not applied yet: the newest wins
                }

                Directory.Move(staging, pending);
            }

            return summary;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>
    /// `sudo kalki-edge restore` stages as root, but the appliance runs as the data directory's owner and must read,
    /// move and delete what was staged when it next starts: the staged tree becomes that owner's.
    /// </summary>
    private static void GiveToDataDirOwner(string dataDir, string staging)
    {
        if (OperatingSystem.IsWindows() || PosixFileStatus.EffectiveUser != 0 || PosixFileStatus.OfTarget(dataDir) is not { } owner || owner.Owner == 0)
        {
            return;
        }

        PosixOwner.GiveTree(staging, owner.Owner, owner.Group);
    }

    private static RestoreSummary Unpack(Stream archive, string staging, string? passphrase)
    {
        if (archive.CanSeek)
        {
            if (archive.Length > MaxArchiveBytes)
            {
                throw new BackupException($"the archive is {archive.Length} bytes, more than the {MaxArchiveBytes} a backup can be");
            }

            return UnpackSeekable(archive, staging, passphrase);
        }

        // A request body cannot seek: copy it (bounded) to a file that goes when closed.
        var path = Path.Combine(staging, ".archive");
        using var copy = PrivateFiles.Create(path);
        File.Delete(path);
        BoundedCopy(archive, copy, MaxArchiveBytes, "the archive");
        copy.Position = 0;
        return UnpackSeekable(copy, staging, passphrase);
    }

    private static RestoreSummary UnpackSeekable(Stream archive, string staging, string? passphrase)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new BackupException($"not a backup archive, or a truncated one: {e.Message}", e);
        }

        using (zip)
        {
            if (zip.Entries.Count > BackupFormat.MaxEntries + 3)
            {
                throw new BackupException($"the archive has {zip.Entries.Count} entries, more than a backup can hold");
            }

            var byName = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                // Only the names a backup writes: no directory part beyond packs/, no "..", no absolute path.
                if (BackupFormat.LimitFor(entry.FullName) is null || !byName.TryAdd(entry.FullName, entry))
                {
                    throw new BackupException($"the archive holds '{entry.FullName}', which is not a backup entry (or holds it twice): refused");
                }
            }

            if (!byName.TryGetValue(BackupFormat.ManifestEntry, out var manifestEntry))
            {
                throw new BackupException($"the archive has no {BackupFormat.ManifestEntry}: not a kalki-edge backup");
            }

            using var manifestBytes = new MemoryStream();
            ReadEntry(manifestEntry, manifestBytes, BackupFormat.MaxManifestBytes);
            var manifest = BackupManifest.Parse(manifestBytes.ToArray());
            var listed = manifest.Entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
            var present = byName.Keys.Where(n => n != BackupFormat.ManifestEntry).ToHashSet(StringComparer.Ordinal);
            if (!listed.SetEquals(present) || listed.Count != manifest.Entries.Count || !listed.Contains(BackupFormat.StoreEntry))
            {
                throw new BackupException($"the manifest lists [{string.Join(", ", listed.Order(StringComparer.Ordinal))}] but the archive holds [{string.Join(", ", present.Order(StringComparer.Ordinal))}] (the store is required)");
            }

            PrivateFiles.CreateDirectory(Path.Combine(staging, EditedPacks.DirectoryName));
            byte[]? sealedKeys = null;
            foreach (var e in manifest.Entries)
            {
                var source = byName[e.Name];
                if (e.Name == BackupFormat.KeysEntry)
                {
                    using var keys = new MemoryStream();
                    Verify(e, ReadEntry(source, keys, e.Size));
                    sealedKeys = keys.ToArray();
                    continue;
                }

                var target = e.Name == BackupFormat.StoreEntry
                    ? Path.Combine(staging, ControlWiring.StoreFileName)
                    : Path.Combine(staging, EditedPacks.DirectoryName, e.Name[BackupFormat.PacksPrefix.Length..]);
                using var file = PrivateFiles.Create(target);
                Verify(e, ReadEntry(source, file, e.Size));
                file.Flush(flushToDisk: true);
            }

            IReadOnlyList<string> keyFiles = [];
            if (passphrase is not null)
            {
                if (sealedKeys is null)
                {
                    throw new BackupException("a passphrase was given but the archive holds no keys (it was made without one)");
                }

                keyFiles = KeyFiles.Unpack(KeySeal.Open(sealedKeys, passphrase), Path.Combine(staging, KeyFiles.DirectoryName));
            }

            return new RestoreSummary(manifest, 0, 0, 0, keyFiles, KeysLeftOut: sealedKeys is not null && passphrase is null);
        }
    }

    /// <summary>
    /// The validating build may create keys of its own in the staging folder (the device-credential key at first use);
    /// only the archive's keys may replace the appliance's, so anything else there goes before the folder is staged.
    /// </summary>
    private static void DropKeysMadeByValidation(string staging, IReadOnlyList<string> restoredKeys)
    {
        var keys = Path.Combine(staging, KeyFiles.DirectoryName);
        if (!Directory.Exists(keys))
        {
            return;
        }

        if (restoredKeys.Count == 0)
        {
            Directory.Delete(keys, recursive: true);
            return;
        }

        foreach (var file in Directory.GetFiles(keys).Where(f => !restoredKeys.Contains(Path.GetFileName(f), StringComparer.Ordinal)))
        {
            File.Delete(file);
        }
    }

    /// <summary>Builds the appliance on the staged data as a start would; any error refuses the archive.</summary>
    private static RestoreSummary Validate(SiteConfig config, string staging, RestoreSummary summary)
    {
        var diagnostics = new DiagnosticBag();
        try
        {
            using var appliance = EdgeAppliance.Build(config.WithDataDir(staging), diagnostics, new ConsoleObserver(TextWriter.Null), persist: true);
            if (appliance is null)
            {
                throw new BackupException($"the backup does not load on this site ({diagnostics.Items.Count} error(s)); nothing was changed:{Environment.NewLine}{string.Join(Environment.NewLine, diagnostics.Items.Take(20))}");
            }

            var store = appliance.Store!.Store;
            if (store.Column("PRAGMA integrity_check") is not [string ok] || ok != "ok")
            {
                throw new BackupException($"{BackupFormat.StoreEntry}: the store fails SQLite's integrity check; nothing was changed");
            }

            if (appliance.Registry.StartupWarnings.Count > 0)
            {
                throw new BackupException($"the backup's run-time devices do not all apply on this site; nothing was changed:{Environment.NewLine}{string.Join(Environment.NewLine, appliance.Registry.StartupWarnings)}");
            }

            return summary with
            {
                RuntimeDevices = store.LoadRuntimeDevices().Count,
                EditedPacks = Directory.GetFiles(Path.Combine(staging, EditedPacks.DirectoryName), "*.yaml").Length,
                AuditEntries = store.Count("audit_log"),
            };
        }
        catch (Exception e) when (e is SqliteException or IOException)
        {
            throw new BackupException($"{BackupFormat.StoreEntry}: {e.Message}; nothing was changed", e);
        }
    }

    /// <summary>At start, before the store or the packs are read: puts a staged restore in place. True when it did.</summary>
    public static bool ApplyPending(string dataDir, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var pending = Path.Combine(dataDir, PendingName);
        if (!Directory.Exists(pending))
        {
            return false;
        }

        var replaced = Path.Combine(dataDir, ReplacedName);
        var started = Path.Combine(pending, StartedMarker);
        if (!File.Exists(started))
        {
            if (Directory.Exists(replaced))
            {
                Directory.Delete(replaced, recursive: true);
            }

            PrivateFiles.CreateDirectory(replaced);
            PrivateFiles.Write(started, []);
        }

        var store = ControlWiring.StoreFileName;
        if (File.Exists(Path.Combine(pending, store)))
        {
            foreach (var name in new[] { store, store + "-wal", store + "-shm" })
            {
                if (File.Exists(Path.Combine(dataDir, name)))
                {
                    File.Move(Path.Combine(dataDir, name), Path.Combine(replaced, name), overwrite: true);
                }
            }

            File.Move(Path.Combine(pending, store), Path.Combine(dataDir, store));
        }

        foreach (var dir in new[] { EditedPacks.DirectoryName, KeyFiles.DirectoryName })
        {
            if (Directory.Exists(Path.Combine(pending, dir)))
            {
                if (Directory.Exists(Path.Combine(dataDir, dir)))
                {
                    Directory.Move(Path.Combine(dataDir, dir), Path.Combine(replaced, dir));
                }

                Directory.Move(Path.Combine(pending, dir), Path.Combine(dataDir, dir));
            }
        }

        Directory.Delete(pending, recursive: true);
        log($"kalki-edge: restored the site backup staged in {pending}; the replaced files are in {replaced}");
        return true;
    }

    private static void Verify(BackupEntry expected, (long Size, string Sha256) actual)
    {
        if (actual.Size != expected.Size || actual.Sha256 != expected.Sha256)
        {
            throw new BackupException($"{expected.Name}: {actual.Size} bytes with SHA-256 {actual.Sha256}, but the manifest says {expected.Size} bytes with {expected.Sha256}: the archive is damaged");
        }
    }

    /// <summary>Copies an entry, never more than <paramref name="limit"/> bytes whatever its header claims.</summary>
    private static (long Size, string Sha256) ReadEntry(ZipArchiveEntry entry, Stream target, long limit)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            using var source = entry.Open();
            var size = BoundedCopy(source, target, limit, entry.FullName, hash);
            return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        catch (InvalidDataException e)
        {
            throw new BackupException($"{entry.FullName}: damaged or truncated: {e.Message}", e);
        }
    }

    private static long BoundedCopy(Stream source, Stream target, long limit, string what, IncrementalHash? hash = null)
    {
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            size += read;
            if (size > limit)
            {
                throw new BackupException($"{what}: larger than the {limit} bytes it may be: refused");
            }

            hash?.AppendData(buffer, 0, read);
            target.Write(buffer, 0, read);
        }

        return size;
    }
}
