using KalkiEdge.Store;
using KalkiEdge.TestKit;

namespace KalkiEdge.ReplayTests;

/// <summary>kalki-edge backup and restore as an operator runs them: the real process, files, exit codes and messages.</summary>
public class BackupCommandTests
{
    private const string Passphrase = "correct horse battery staple";

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-backup-cli-").FullName;

    [TearDown]
    public void TearDown()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string Site(string name)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        var config = Path.Combine(dir, "kalki.yaml");
        File.WriteAllText(config, $"umboxes: {RepoPaths.Umboxes}\ndata-dir: {Path.Combine(dir, "data")}\ndevices:\n  - {{name: cam1, mac: \"02:00:00:00:07:01\", ip: 192.0.2.71, type: dlink-camera}}\n");
        return config;
    }

    private string Secret(string text)
    {
        var file = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, text + "\n");
        return file;
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_backup_with_sealed_keys_restores_with_its_passphrase_only()
    {
        var old = Site("old");
        using (var store = KalkiStore.Open(Path.Combine(_dir, "old", "data", "kalki-edge.db")))
        {
            store.SaveRuntimeDevice(new RuntimeDeviceRecord("plug1", "02:00:00:00:07:02", ["192.0.2.72"], "generic-iot", null, null), null, new AuditEntry(1, "alice", "device-add", "plug1"));
        }

        Directory.CreateDirectory(Path.Combine(_dir, "old", "data", "keys"));
        File.WriteAllText(Path.Combine(_dir, "old", "data", "keys", "tls.key"), "key");
        var archive = Path.Combine(_dir, "site.zip");

        var backup = KalkiEdgeCli.Run("backup", "--config", old, "--out", archive, "--keys", "--passphrase-file", Secret(Passphrase));
        Assert.That(backup.ExitCode, Is.Zero, backup.Stderr);
        Assert.That(backup.Stdout, Does.Contain("keys sealed with the passphrase"));
        Assert.That(File.GetUnixFileMode(archive), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));

        var fresh = Site("new");
        var wrong = KalkiEdgeCli.Run("restore", archive, "--config", fresh, "--passphrase-file", Secret("not the right passphrase"));
        Assert.That((wrong.ExitCode, wrong.Stderr), Is.EqualTo((1, $"kalki-edge restore: {archive}: keys.sealed: wrong passphrase, or the sealed keys are damaged\n")));
        Assert.That(Directory.Exists(Path.Combine(_dir, "new", "data", "restore.pending")), Is.False);

        var restore = KalkiEdgeCli.Run("restore", archive, "--config", fresh, "--passphrase-file", Secret(Passphrase));
        Assert.That(restore.ExitCode, Is.Zero, restore.Stderr);
        Assert.That(restore.Stdout, Does.Contain("1 run-time devices").And.Contain("2 key files").And.Contain("staged in"));
        Assert.That(File.ReadAllText(Path.Combine(_dir, "new", "data", "restore.pending", "keys", "tls.key")), Is.EqualTo("key"));
        Assert.That(File.Exists(Path.Combine(_dir, "new", "data", "restore.pending", "keys", "device-credentials.key")), "the device-credential key travels with the keys");
    }

    [Test]
    public void Backup_of_a_site_that_never_ran_says_there_is_no_store()
    {
        var r = KalkiEdgeCli.Run("backup", "--config", Site("empty"), "--out", Path.Combine(_dir, "x.zip"));
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain("no store here"));
        Assert.That(File.Exists(Path.Combine(_dir, "x.zip")), Is.False);
    }

    [Test]
    public void Keys_without_a_passphrase_file_is_a_usage_error()
    {
        var r = KalkiEdgeCli.Run("backup", "--config", Site("site"), "--out", Path.Combine(_dir, "x.zip"), "--keys");
        Assert.That((r.ExitCode, r.Stderr), Is.EqualTo((2, "kalki-edge backup: --keys needs --passphrase-file FILE (the passphrase that seals the keys)\n")));
    }
}
