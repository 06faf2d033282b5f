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

    [Test]
    public void Restore_of_an_archive_that_is_missing_a_directory_or_a_fifo_says_which_and_why_in_one_line()
    {
        var config = Site("site");
        var missing = Path.Combine(_dir, "missing.zip");
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "a-folder")).FullName;
        var fifo = Fifo("site.fifo");

        Assert.That(Refusal("restore", missing, "--config", config), Is.EqualTo($"kalki-edge restore: {missing}: no such file"));
        Assert.That(Refusal("restore", folder, "--config", config), Is.EqualTo($"kalki-edge restore: {folder}: is a directory, not a file"));
        // Opening a FIFO would wait for a writer without end: it is refused without being opened.
        Assert.That(Refusal("restore", fifo, "--config", config), Is.EqualTo($"kalki-edge restore: {fifo}: is not a regular file (a FIFO, socket or device cannot be read as one)"));
        Assert.That(Directory.Exists(Path.Combine(_dir, "site", "data", "restore.pending")), Is.False);
    }

    [Test]
    public void A_passphrase_file_that_is_missing_a_directory_or_too_long_is_refused_by_backup_and_restore()
    {
        var config = Site("site");
        var archive = Path.Combine(_dir, "site.zip");
        var missing = Path.Combine(_dir, "missing.pass");
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "a-folder")).FullName;
        var tooLong = Secret(new string('p', 1025));
        var fifo = Fifo("pass.fifo");

        foreach (var (file, why) in new[] { (missing, "no such file"), (folder, "is a directory, not a file"), (fifo, "is not a regular file (a FIFO, socket or device cannot be read as one)"), (tooLong, "more than 1024 characters; a passphrase file holds one line") })
        {
            Assert.That(Refusal("backup", "--config", config, "--out", archive, "--keys", "--passphrase-file", file), Is.EqualTo($"kalki-edge backup: --passphrase-file {file}: {why}"));
            Assert.That(Refusal("restore", archive, "--config", config, "--passphrase-file", file), Is.EqualTo($"kalki-edge restore: --passphrase-file {file}: {why}"));
        }

        Assert.That(File.Exists(archive), Is.False, "no archive is written without its passphrase");
    }

    [Test]
    public void Backup_to_a_directory_or_into_a_missing_one_says_so_and_leaves_nothing()
    {
        var config = Site("site");
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "a-folder")).FullName;
        var nowhere = Path.Combine(_dir, "no-such-dir", "site.zip");

        Assert.That(Refusal("backup", "--config", config, "--out", folder), Is.EqualTo($"kalki-edge backup: --out {folder}: is a directory; --out names the archive file to write"));
        Assert.That(Refusal("backup", "--config", config, "--out", nowhere), Is.EqualTo($"kalki-edge backup: --out {nowhere}: no such directory {Path.Combine(_dir, "no-such-dir")}"));
        Assert.That(Directory.GetFileSystemEntries(folder), Is.Empty);
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Without_the_right_to_read_the_passphrase_or_write_the_archive_the_operator_is_told_so()
    {
        Assume.That(Environment.IsPrivilegedProcess, Is.True, "needs root to run the command as another user");
        var config = Site("site");
        var secret = Secret(Passphrase);
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // The unprivileged user may read the site's config (its folders are traversable) but not the passphrase, and may
        // not write in the folder the archive goes to.
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.GetDirectoryName(config)!, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);
        var archive = Path.Combine(_dir, "site.zip");

        var unreadable = AsNobody("restore", archive, "--config", config, "--passphrase-file", secret);
        Assert.That((unreadable.ExitCode, unreadable.Stderr), Is.EqualTo((1, $"kalki-edge restore: --passphrase-file {secret}: cannot be read: permission denied\n")));

        var unwritable = AsNobody("backup", "--config", config, "--out", archive);
        Assert.That((unwritable.ExitCode, unwritable.Stderr), Is.EqualTo((1, $"kalki-edge backup: --out {archive}: cannot write in {_dir}: permission denied\n")));
    }

    /// <summary>The one line a refused command prints, after checking it failed as invalid input with nothing on stdout.</summary>
    private static string Refusal(params string[] args)
    {
        var r = KalkiEdgeCli.Run(args);
        Assert.That((r.ExitCode, r.Stdout), Is.EqualTo((1, "")), r.Stderr);
        Assert.That(r.Stderr.TrimEnd('\n'), Does.Not.Contain('\n'), "one line");
        return r.Stderr.TrimEnd('\n');
    }

    private string Fifo(string name)
    {
        var path = Path.Combine(_dir, name);
        BoundedProcess.Output(TimeSpan.FromSeconds(30), "mkfifo", path);
        return path;
    }

    private static ProcessResult AsNobody(params string[] args) =>
        BoundedProcess.Run(TimeSpan.FromMinutes(2), "setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", .. Firmware.Command(args)]);
}
