using System.Globalization;
using KalkiEdge.Core.Policy;
using Microsoft.Data.Sqlite;

namespace KalkiEdge.Store;

/// <summary>
/// The appliance's one SQLite file: WAL journal, versioned migrations at open, catalog sync (packs, images,
/// devices), restart reads, the runtime device registry, management accounts and the management API's reads. Writes during operation go through <see cref="StoreWriter"/> so that enforcement
/// never waits for the disk.
/// </summary>
public sealed partial class KalkiStore : IDisposable
{
    private readonly SqliteConnection _connection;

    // One connection, shared by start-up, the management API's threads and the registry: every use holds the gate.
    private readonly Lock _gate = new();

    private KalkiStore(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
    }

    public string Path { get; }

    public int SchemaVersion
    {
        get
        {
            lock (_gate)
            {
                return (int)(long)Scalar("PRAGMA user_version")!;
            }
        }
    }

    public static int LatestVersion => Schema.Migrations.Length;

    /// <summary>The store file as it was before the migration from <paramref name="version"/> (see <see cref="Open"/>).</summary>
    public static string SnapshotPath(string path, int version) => $"{path}.schema-{version}";

    /// <summary>The file-name pattern of every <see cref="SnapshotPath"/> of the store named <paramref name="fileName"/>.</summary>
    public static string SnapshotPattern(string fileName) => $"{fileName}.schema-*";

    /// <summary>
    /// Opens (creating if needed) the store and applies pending migrations, each in its own transaction. A new
    /// directory is created 0700 and a new database file 0600 (SQLite gives its WAL and shared-memory files the
    /// database's mode): the store holds device credentials and the alert history, readable by this user only,
    /// also outside systemd (whose StateDirectory is 0700 already).
    /// Before migrating an existing store it is copied whole to <see cref="SnapshotPath"/> (the store the older
    /// firmware left behind). A store whose schema is newer than this firmware knows is opened as it is when its
    /// migrations kept it readable by this version (<see cref="Schema"/>), and refused otherwise
    /// (<see cref="StoreVersionException"/>), before anything is written.
    /// </summary>
    public static KalkiStore Open(string path) => Open(path, Schema.Migrations);

    internal static KalkiStore Open(string path, IReadOnlyList<Migration> migrations)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir!);
        }
        else
        {
            Directory.CreateDirectory(dir!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (!File.Exists(path))
            {
                using var created = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
        }

        var connection = OpenConnection(path);
        var store = new KalkiStore(path, connection);
        try
        {
            store.Migrate(migrations);
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    internal static SqliteConnection OpenConnection(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var pragma = connection.CreateCommand();
        // WAL: readers never block the writer; synchronous=FULL makes each commit durable (the writer batches
        // commits so the cost is per batch, not per record).
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    public string JournalMode
    {
        get
        {
            lock (_gate)
            {
                return (string)Scalar("PRAGMA journal_mode")!;
            }
        }
    }

    private void Migrate(IReadOnlyList<Migration> migrations)
    {
        var found = SchemaVersion;
        if (found > migrations.Count)
        {
            var oldestReader = OldestReader() ?? found;
            if (oldestReader > migrations.Count)
            {
                throw new StoreVersionException(Path, found, migrations.Count, oldestReader);
            }

            return;
        }

        if (found > 0 && found < migrations.Count)
        {
            Snapshot(SnapshotPath(Path, found));
        }

        for (int version = found; version < migrations.Count; version++)
        {
            using var tx = _connection.BeginTransaction();
            Execute(migrations[version].Sql, tx);
            Execute($"PRAGMA user_version = {version + 1}", tx);
            if (HasSchemaInfo(tx))
            {
                Execute($"INSERT INTO schema_info (name, value) VALUES ($n, $v) ON CONFLICT(name) DO UPDATE SET value = max(value, $v)",
                    tx, ("$n", Schema.OldestReaderKey), ("$v", migrations[version].OldestReader));
            }

            tx.Commit();
        }
    }

    /// <summary>The oldest schema version whose firmware reads this store, or null for a store older than the guard.</summary>
    private int? OldestReader()
    {
        if (!HasSchemaInfo())
        {
            return null;
        }

        return Scalar("SELECT value FROM schema_info WHERE name = $n", null, ("$n", Schema.OldestReaderKey)) is long v ? (int)v : null;
    }

    private bool HasSchemaInfo(SqliteTransaction? tx = null) => Scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_info'", tx) is not null;

    /// <summary>
    /// A consistent copy of the store at <paramref name="path"/> made through a read-only connection, without
    /// migrating it: a running appliance keeps writing meanwhile (WAL readers never block the writer).
    /// </summary>
    public static void SnapshotFile(string path, string target)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no store here (has the appliance run with this data directory?)", path);
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        File.Delete(target);
        using (var cmd = SqlCommands.Create(connection, null, "VACUUM INTO $t", [("$t", target)]))
        {
            cmd.ExecuteNonQuery();
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>A consistent copy of the whole store in one file (SQLite's VACUUM INTO), private like the store.</summary>
    public void Snapshot(string target)
    {
        lock (_gate)
        {
            File.Delete(target);
            Execute("VACUUM INTO $t", null, ("$t", target));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
    }

    /// <summary>Writes the packs (types, sensors, commands, states, alert types and conditions, rules, chains) and images.</summary>
    public void SyncCatalog(IEnumerable<DeviceTypePack> packs, IEnumerable<(string Name, int Version, string Chain, string Measurement)> images)
    {
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            foreach (var image in images)
            {
                Execute("INSERT INTO umbox_images (name, version, chain, measurement) VALUES ($n, $v, $c, $m) ON CONFLICT(name, version) DO UPDATE SET chain = $c, measurement = $m",
                    tx, ("$n", image.Name), ("$v", image.Version), ("$c", image.Chain), ("$m", image.Measurement));
            }

            foreach (var pack in packs)
            {
                // Replace the type's definition wholesale: children cascade.
                Execute("DELETE FROM device_types WHERE name = $n", tx, ("$n", pack.Name));
                var typeId = (long)Scalar("INSERT INTO device_types (name, description, initial_state, sampling_interval_us, source) VALUES ($n, $d, $i, $s, $f) RETURNING id",
                    tx, ("$n", pack.Name), ("$d", pack.Description), ("$i", pack.Initial), ("$s", pack.DefaultSamplingIntervalMicros), ("$f", pack.At.File))!;
                foreach (var s in pack.Sensors)
                {
                    Execute("INSERT INTO sensors (type_id, name, value_kind) VALUES ($t, $n, $k)", tx, ("$t", typeId), ("$n", s.Name), ("$k", s.Kind.ToString().ToLowerInvariant()));
                }

                foreach (var c in pack.Commands)
                {
                    Execute("INSERT INTO commands (type_id, name) VALUES ($t, $n)", tx, ("$t", typeId), ("$n", c.Name));
                }

                for (int i = 0; i < pack.States.Count; i++)
                {
                    Execute("INSERT INTO security_states (type_id, name, ordinal) VALUES ($t, $n, $o)", tx, ("$t", typeId), ("$n", pack.States[i]), ("$o", i));
                }

                foreach (var a in pack.AlertTypes)
                {
                    Execute("INSERT INTO alert_types (name, source, type_id) VALUES ($n, 'pack', $t) ON CONFLICT(name) DO UPDATE SET type_id = $t", tx, ("$n", a), ("$t", typeId));
                }

                foreach (var c in pack.TelemetryAlerts)
                {
                    Execute("INSERT INTO alert_conditions (type_id, alert_type, definition) VALUES ($t, $a, $d)", tx, ("$t", typeId), ("$a", c.AlertType), ("$d", Describe(c)));
                }

                foreach (var r in pack.Rules)
                {
                    Execute("INSERT INTO policy_rules (type_id, name, from_states, to_state, priority, window_us, definition) VALUES ($t, $n, $f, $to, $p, $w, $d)",
                        tx, ("$t", typeId), ("$n", r.Name), ("$f", string.Join(",", r.From)), ("$to", r.To), ("$p", r.Priority), ("$w", r.WindowMicros), ("$d", r.When.ToString()));
                }

                foreach (var c in pack.Chains)
                {
                    Execute("INSERT INTO type_state_chains (type_id, state, image) VALUES ($t, $s, $i)", tx, ("$t", typeId), ("$s", c.State), ("$i", c.Image));
                }
            }

            foreach (var builtIn in Core.AlertTypes.BuiltIn)
            {
                Execute("INSERT INTO alert_types (name, source) VALUES ($n, 'built-in') ON CONFLICT(name) DO NOTHING", tx, ("$n", builtIn));
            }

            tx.Commit();
        }
    }

    /// <summary>Registers or updates devices (identity only: a device's committed state is never overwritten here).</summary>
    public void SyncDevices(IEnumerable<DeviceRecord> devices)
    {
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            foreach (var d in devices)
            {
                long? groupId = d.Group is null ? null : (long)Scalar("INSERT INTO groups (name) VALUES ($g) ON CONFLICT(name) DO UPDATE SET name = name RETURNING id", tx, ("$g", d.Group))!;
                var id = (long)Scalar("""
                    INSERT INTO devices (name, description, type, group_id, mac, ips, credentials, sampling_interval_us) VALUES ($n, $d, $t, $g, $m, $i, $c, $s)
                    ON CONFLICT(name) DO UPDATE SET description = $d, type = $t, group_id = $g, mac = $m, ips = $i, credentials = $c, sampling_interval_us = $s
                    RETURNING id
                    """, tx, ("$n", d.Name), ("$d", d.Description), ("$t", d.Type), ("$g", groupId), ("$m", d.Mac), ("$i", string.Join(",", d.Ips)),
                    ("$c", d.Credentials), ("$s", d.SamplingIntervalMicros))!;
                Execute("DELETE FROM device_tags WHERE device_id = $d", tx, ("$d", id));
                foreach (var tag in d.Tags ?? [])
                {
                    var tagId = (long)Scalar("INSERT INTO tags (name) VALUES ($t) ON CONFLICT(name) DO UPDATE SET name = name RETURNING id", tx, ("$t", tag))!;
                    Execute("INSERT INTO device_tags (device_id, tag_id) VALUES ($d, $t)", tx, ("$d", id), ("$t", tagId));
                }
            }

            tx.Commit();
        }
    }

    /// <summary>Every device's last committed state and image (devices never transitioned have none).</summary>
    public Dictionary<string, CommittedDeviceState> LoadDeviceStates()
    {
        lock (_gate)
        {
            var result = new Dictionary<string, CommittedDeviceState>(StringComparer.Ordinal);
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT name, state, image, state_since_us FROM devices WHERE state IS NOT NULL";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                result[r.GetString(0)] = new CommittedDeviceState(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? 0 : r.GetInt64(3));
            }

            return result;
        }
    }

    /// <summary>Runs a read-only query and returns the first column of each row (tests, status pages).</summary>
    public List<object?> Column(string sql, params (string Name, object? Value)[] parameters)
    {
        lock (_gate)
        {
            using var cmd = SqlCommands.Create(_connection, null, sql, parameters);
            using var r = cmd.ExecuteReader();
            var result = new List<object?>();
            while (r.Read())
            {
                result.Add(r.IsDBNull(0) ? null : r.GetValue(0));
            }

            return result;
        }
    }

    public long Count(string table)
    {
        lock (_gate)
        {
            return (long)Scalar($"SELECT COUNT(*) FROM {table}")!;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _connection.Dispose();
        }
    }

    internal object? Scalar(string sql, SqliteTransaction? tx = null, params (string Name, object? Value)[] parameters)
    {
        using var cmd = SqlCommands.Create(_connection, tx, sql, parameters);
        return cmd.ExecuteScalar();
    }

    private int Execute(string sql, SqliteTransaction? tx = null, params (string Name, object? Value)[] parameters)
    {
        using var cmd = SqlCommands.Create(_connection, tx, sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    private static string Describe(TelemetryAlertCondition c) =>
        string.Join(c.Combine == Combine.All ? " AND " : " OR ", c.Terms.Select(t =>
            $"{t.Aggregate.ToString().ToLowerInvariant()}(last {t.Last.ToString(CultureInfo.InvariantCulture)} {t.Sensor}) {ComparisonText.Format(t.Op)} {t.Value}"));
}
