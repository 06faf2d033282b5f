using KalkiEdge.Store;
using KalkiEdge.UnitTests.Policy;

namespace KalkiEdge.UnitTests.Store;

/// <summary>
/// The store across firmware versions, on real files: forward migration with a snapshot of what the older firmware
/// left, the previous firmware running on the latest schema (a rollback), and refusal of a schema it cannot read.
/// </summary>
public class SchemaVersionTests
{
    private string _dir = null!;

    private string DbPath => Path.Combine(_dir, "kalki-edge.db");

    private static readonly RuntimeDeviceRecord Camera = new("cam-1", "02:00:00:00:00:01", ["192.0.2.10"], "camera", null, null);

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-schema-").FullName;

    [TearDown]
    public void TearDown()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static Migration[] Known(int count) => Schema.Migrations[..count];

    [Test]
    public void An_older_store_is_migrated_forward_after_a_snapshot_of_it()
    {
        var older = KalkiStore.LatestVersion - 1;
        using (var store = KalkiStore.Open(DbPath, Known(older)))
        {
            store.SaveRuntimeDevice(Camera, null, new AuditEntry(1, "admin", "device-add", "cam-1"));
        }

        using (var store = KalkiStore.Open(DbPath))
        {
            Assert.That(store.SchemaVersion, Is.EqualTo(KalkiStore.LatestVersion));
            Assert.That(store.LoadRuntimeDevices().Select(d => d.Name), Is.EqualTo(new[] { "cam-1" }));
        }

        var snapshot = KalkiStore.SnapshotPath(DbPath, older);
        Assert.That(File.Exists(snapshot), snapshot);
        using var before = KalkiStore.Open(snapshot, Known(older));
        Assert.That((before.SchemaVersion, before.Count("audit_log")), Is.EqualTo((older, 1L)));
    }

    [Test]
    public void A_new_store_takes_no_snapshot()
    {
        using (KalkiStore.Open(DbPath))
        {
        }

        Assert.That(Directory.GetFiles(_dir, "*.schema-*"), Is.Empty);
    }

    [Test]
    public void The_previous_firmware_runs_on_the_latest_schema_after_a_rollback()
    {
        var pack = PolicyTestPacks.Load(PolicyTestPacks.Camera);
        using (var latest = KalkiStore.Open(DbPath))
        {
            latest.SyncCatalog([pack], [("n", 1, "pass", "")]);
            latest.SaveRuntimeDevice(Camera, null, new AuditEntry(1, "admin", "device-add", "cam-1"));
        }

        // Start-up as the previous firmware does it: open, catalog and device sync, committed states, a write.
        using (var previous = KalkiStore.Open(DbPath, Known(KalkiStore.LatestVersion - 1)))
        {
            previous.SyncCatalog([pack], [("n", 1, "pass", "")]);
            previous.SyncDevices([new DeviceRecord("cam-2", "camera", "02:00:00:00:00:02", [], null, "")]);
            Assert.That(previous.LoadDeviceStates(), Is.Empty);
            previous.SaveRuntimeDevice(Camera with { Name = "cam-3", Mac = "02:00:00:00:00:03" }, null, new AuditEntry(2, "admin", "device-add", "cam-3"));
            Assert.That(previous.SchemaVersion, Is.EqualTo(KalkiStore.LatestVersion), "the older firmware never rewinds the version");
        }

        using var again = KalkiStore.Open(DbPath);
        Assert.That(again.LoadRuntimeDevices().Select(d => d.Name), Is.EqualTo(new[] { "cam-1", "cam-3" }));
    }

    [Test]
    public void A_schema_this_firmware_cannot_read_is_refused_with_its_versions_and_left_untouched()
    {
        var newer = Schema.Migrations.Append(new Migration("ALTER TABLE runtime_devices RENAME COLUMN ips TO addresses;", OldestReader: KalkiStore.LatestVersion + 1)).ToArray();
        using (var store = KalkiStore.Open(DbPath))
        {
            store.SaveRuntimeDevice(Camera, null, new AuditEntry(1, "admin", "device-add", "cam-1"));
        }

        using (KalkiStore.Open(DbPath, newer))
        {
        }

        var e = Assert.Throws<StoreVersionException>(() => KalkiStore.Open(DbPath))!;
        Assert.That(e.Message, Does.Contain($"store schema version {newer.Length} is newer than this firmware knows ({KalkiStore.LatestVersion})"));
        Assert.That(e.Message, Does.Contain($"needs firmware of schema {newer.Length}"));
        Assert.That(e.Message, Does.Contain(KalkiStore.SnapshotPath(DbPath, KalkiStore.LatestVersion)));

        using var store2 = KalkiStore.Open(DbPath, newer);
        Assert.That((store2.SchemaVersion, store2.Count("runtime_devices")), Is.EqualTo((newer.Length, 1L)));
    }

    [Test]
    public void A_store_from_before_the_guard_with_a_newer_version_is_refused()
    {
        using (var store = KalkiStore.Open(DbPath, Known(4)))
        {
        }

        Assert.Throws<StoreVersionException>(() => KalkiStore.Open(DbPath, Known(3)));
    }

    [Test]
    public void Every_migration_names_an_oldest_reader_no_newer_than_itself()
    {
        for (int i = 0; i < Schema.Migrations.Length; i++)
        {
            Assert.That(Schema.Migrations[i].OldestReader, Is.InRange(1, i + 1), $"migration {i + 1}");
        }
    }
}
