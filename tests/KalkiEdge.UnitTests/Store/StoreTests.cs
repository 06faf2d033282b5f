using KalkiEdge.ControlPlane;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Store;
using KalkiEdge.UnitTests.ControlPlane;
using KalkiEdge.UnitTests.Policy;

namespace KalkiEdge.UnitTests.Store;

public class StoreTests
{
    private string _dir = null!;

    private string DbPath => Path.Combine(_dir, "data", "kalki-edge.db");

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-store-").FullName;

    [TearDown]
    public void TearDown()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void Opens_one_WAL_file_and_applies_migrations_once()
    {
        using (var store = KalkiStore.Open(DbPath))
        {
            Assert.That((store.JournalMode, store.SchemaVersion), Is.EqualTo(("wal", KalkiStore.LatestVersion)));
        }

        using var again = KalkiStore.Open(DbPath);
        Assert.That(again.SchemaVersion, Is.EqualTo(KalkiStore.LatestVersion));
        Assert.That(again.Count("stage_logs"), Is.Zero);
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_new_store_directory_and_database_are_readable_by_this_user_only()
    {
        using (var store = KalkiStore.Open(DbPath))
        {
            Assert.That(File.GetUnixFileMode(Path.GetDirectoryName(DbPath)!), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            foreach (var file in new[] { DbPath, DbPath + "-wal", DbPath + "-shm" })
            {
                Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), file);
            }
        }
    }

    [Test]
    public void Catalog_keeps_typed_sensors_rules_and_chains_per_state()
    {
        using var store = KalkiStore.Open(DbPath);
        var pack = PolicyTestPacks.Load(PolicyTestPacks.Camera);
        store.SyncCatalog([pack], [("n", 1, "pass", "sha256:0")]);
        store.SyncCatalog([pack], [("n", 1, "pass", "sha256:0")]);
        Assert.That(store.Column("SELECT name || ':' || value_kind FROM sensors ORDER BY name"),
            Is.EqualTo(new[] { "armed:bool", "firmware:string", "last-boot:timestamp", "logins:int", "temp:decimal" }));
        Assert.That(store.Column("SELECT value_kind FROM sensors WHERE name = 'temp'").Single(), Is.EqualTo("decimal"));
        Assert.That(store.Column("SELECT image FROM type_state_chains ORDER BY state"), Is.EqualTo(new[] { "a", "n", "s" }));
        Assert.That(store.Column("SELECT definition FROM policy_rules WHERE name = 'compromise'").Single(), Is.EqualTo("any(abnormal-egress >= 1, all(brute-force >= 5, port-scan >= 1))"));
        Assert.That(store.Count("device_types"), Is.EqualTo(1));
        Assert.That(store.Column("SELECT name FROM alert_types WHERE source = 'pack'"), Is.EqualTo(new[] { "overheat" }));
    }

    [Test]
    public void Credentials_are_stored_for_the_monitor_but_never_written_to_a_log()
    {
        const string Secret = "hunter2-very-secret";
        var device = new DeviceRecord("cam1", "cam", "02:00:00:00:00:01", ["192.0.2.10"], "lab", Credentials: "admin:" + Secret, Tags: ["outdoor"]);
        using var store = KalkiStore.Open(DbPath);
        store.SyncDevices([device]);
        using (var writer = new StoreWriter(store, () => 0))
        {
            writer.Audit(1, "alice", "device-registered", device.ToString());
            Assert.That(writer.Flush(TimeSpan.FromSeconds(10)), Is.True);
        }

        Assert.That(device.ToString(), Does.Not.Contain(Secret));
        Assert.That(store.Column("SELECT detail FROM audit_log").Single(), Does.Contain("cam1").And.Not.Contain(Secret));
        Assert.That(store.Column("SELECT credentials FROM devices").Single(), Does.Contain(Secret));
        Assert.That(store.Column("SELECT t.name FROM tags t JOIN device_tags d ON d.tag_id = t.id"), Is.EqualTo(new[] { "outdoor" }));
    }

    [Test]
    public void Telemetry_keeps_every_value_kind()
    {
        using var store = KalkiStore.Open(DbPath);
        using (var writer = new StoreWriter(store, () => 0))
        {
            writer.Telemetry(new TelemetryRecord("d", "on", 1, EvValue.Of(true)));
            writer.Telemetry(new TelemetryRecord("d", "watts", 2, EvValue.Of(12.75m)));
            writer.Telemetry(new TelemetryRecord("d", "fw", 3, EvValue.Of("1.2.3")));
            writer.Flush(TimeSpan.FromSeconds(10));
        }

        Assert.That(store.Column("SELECT value_kind || ':' || coalesce(int_value, decimal_value, text_value) FROM telemetry ORDER BY id"),
            Is.EqualTo(new[] { "bool:1", "decimal:12.75", "string:1.2.3" }));
    }

    [Test]
    public void Retention_bounds_alerts_by_age_and_count()
    {
        using var store = KalkiStore.Open(DbPath);
        using var writer = new StoreWriter(store, () => 0, new RetentionPolicy(MaxAgeMicros: 1_000_000, MaxRows: 100), pruneEveryMicros: long.MaxValue);
        for (int i = 0; i < 500; i++)
        {
            writer.Alert(new Alert(AlertTypes.Flood, "d", AlertSource.Umbox, 10_000_000 + i, "x"));
        }

        writer.Alert(new Alert(AlertTypes.Flood, "d", AlertSource.Umbox, 1, "ancient"));
        writer.Flush(TimeSpan.FromSeconds(10));
        Assert.That(store.Count("alerts"), Is.EqualTo(501));
        writer.PruneNow(10_000_500);
        Assert.That(store.Count("alerts"), Is.EqualTo(100));
        Assert.That(store.Column("SELECT info FROM alerts WHERE info = 'ancient'"), Is.Empty);
        Assert.That(writer.Counters.Pruned, Is.EqualTo(401));
    }

    [Test]
    public void A_bulk_flood_is_counted_and_dropped_instead_of_filling_memory()
    {
        using var store = KalkiStore.Open(DbPath);
        using var writer = new StoreWriter(store, () => 0, bulkCapacity: 100);
        for (int i = 0; i < 100_000; i++)
        {
            writer.Alert(new Alert(AlertTypes.Flood, "d", AlertSource.Umbox, i, "x"));
        }

        writer.Flush(TimeSpan.FromSeconds(30));
        Assert.That(writer.Counters.DroppedBulk + store.Count("alerts"), Is.EqualTo(100_000));
        Assert.That(writer.Counters.DroppedBulk, Is.GreaterThan(0));
    }

    [Test]
    public void Acknowledged_transitions_survive_a_crash_and_the_device_restarts_in_its_state_with_its_chain()
    {
        // First life: a transition to Attack, acknowledged (flushed), then the process "dies": nothing is closed.
        var store = KalkiStore.Open(DbPath);
        store.SyncDevices([new DeviceRecord("s1", "sensor", "02:00:00:00:00:01", [])]);
        var writer = new StoreWriter(store, () => 0);
        var first = new ControlHarness(writer: writer);
        first.Add("s1", 0x020000000001);
        first.Raise(AlertTypes.PortScan, "s1");
        first.Raise(AlertTypes.BruteForce, "s1");
        first.Controller.Drain();
        Assert.That(writer.Flush(TimeSpan.FromSeconds(10)), Is.True);

        // Second life: a fresh open of the same file.
        using var reopened = KalkiStore.Open(DbPath);
        var committed = reopened.LoadDeviceStates();
        Assert.That(committed["s1"].State, Is.EqualTo("Attack"));
        Assert.That(committed["s1"].Image, Is.EqualTo("closed"));
        Assert.That(reopened.Column("SELECT stage FROM stage_logs ORDER BY id"), Is.EqualTo(new[] { "STIMULUS", "TRIGGER", "REACT", "FINISH", "STIMULUS", "TRIGGER", "REACT", "FINISH" }));
        Assert.That(reopened.Column("SELECT state FROM device_state_history ORDER BY id"), Is.EqualTo(new[] { "Suspicious", "Attack" }));
        Assert.That(reopened.Count("alerts"), Is.EqualTo(2));

        using var second = new ControlHarness(committed: committed);
        var slot = second.Add("s1", 0x020000000001);
        Assert.That((second.Controller.Devices["s1"].State, slot.Chain!.DropsAll), Is.EqualTo(("Attack", true)));

        first.Dispose();
        writer.Dispose();
        store.Dispose();
    }
}
