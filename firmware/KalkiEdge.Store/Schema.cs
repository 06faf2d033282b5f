namespace KalkiEdge.Store;

/// <summary>
/// Versioned schema migrations, applied in order at start (PRAGMA user_version holds the applied version). Never
/// edit a shipped migration: append a new one.
/// A rollback (the A/B update falling back to the previous firmware) must never meet a store it cannot read, so a
/// migration is backward compatible for one version: it only adds (tables, nullable columns, indexes), and the
/// firmware one schema version older keeps working on the migrated store without knowing what was added. A
/// migration that cannot be (a rename, a drop, a changed meaning) says so with <see cref="Migration.OldestReader"/>
/// = its own version: older firmware then refuses the store with an error naming the snapshot
/// <see cref="KalkiStore.Open"/> took before migrating, which is the store that firmware left behind.
/// </summary>
internal static class Schema
{
    public static readonly Migration[] Migrations =
    [
        // 1: the statespace KalKi kept, with typed values and reaction traces.
        new(
        """
        CREATE TABLE device_types (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
            initial_state TEXT NOT NULL, sampling_interval_us INTEGER NOT NULL, source TEXT NOT NULL DEFAULT '');
        CREATE TABLE sensors (id INTEGER PRIMARY KEY, type_id INTEGER NOT NULL REFERENCES device_types(id) ON DELETE CASCADE,
            name TEXT NOT NULL, value_kind TEXT NOT NULL CHECK (value_kind IN ('bool','int','decimal','string','timestamp')),
            UNIQUE (type_id, name));
        CREATE TABLE commands (id INTEGER PRIMARY KEY, type_id INTEGER NOT NULL REFERENCES device_types(id) ON DELETE CASCADE,
            name TEXT NOT NULL, UNIQUE (type_id, name));
        CREATE TABLE security_states (id INTEGER PRIMARY KEY, type_id INTEGER NOT NULL REFERENCES device_types(id) ON DELETE CASCADE,
            name TEXT NOT NULL, ordinal INTEGER NOT NULL, UNIQUE (type_id, name));
        CREATE TABLE alert_types (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
            type_id INTEGER REFERENCES device_types(id) ON DELETE CASCADE);
        CREATE TABLE alert_conditions (id INTEGER PRIMARY KEY, type_id INTEGER NOT NULL REFERENCES device_types(id) ON DELETE CASCADE,
            alert_type TEXT NOT NULL, definition TEXT NOT NULL);
        CREATE TABLE policy_rules (id INTEGER PRIMARY KEY, type_id INTEGER NOT NULL REFERENCES device_types(id) ON DELETE CASCADE,
            name TEXT NOT NULL, from_states TEXT NOT NULL, to_state TEXT NOT NULL, priority INTEGER NOT NULL,
            window_us INTEGER NOT NULL, definition TEXT NOT NULL, UNIQUE (type_id, name));
        CREATE TABLE umbox_images (id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL,
            chain TEXT NOT NULL, measurement TEXT NOT NULL DEFAULT '', UNIQUE (name, version));
        CREATE TABLE type_state_chains (type_id INTEGER NOT NULL REFERENCES device_types(id) ON DELETE CASCADE,
            state TEXT NOT NULL, image TEXT NOT NULL, PRIMARY KEY (type_id, state));
        CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE devices (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
            type TEXT, group_id INTEGER REFERENCES groups(id), mac TEXT NOT NULL, ips TEXT NOT NULL DEFAULT '',
            credentials TEXT, sampling_interval_us INTEGER, state TEXT, state_since_us INTEGER, image TEXT);
        CREATE TABLE device_tags (device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE, PRIMARY KEY (device_id, tag_id));
        CREATE TABLE telemetry (id INTEGER PRIMARY KEY, device TEXT NOT NULL, sensor TEXT NOT NULL, time_us INTEGER NOT NULL,
            value_kind TEXT NOT NULL, int_value INTEGER, decimal_value TEXT, text_value TEXT);
        CREATE INDEX telemetry_device_time ON telemetry (device, time_us);
        CREATE TABLE alerts (id INTEGER PRIMARY KEY, type TEXT NOT NULL, device TEXT NOT NULL, source TEXT NOT NULL,
            time_us INTEGER NOT NULL, info TEXT NOT NULL, element TEXT, sid INTEGER, frame INTEGER, count INTEGER NOT NULL);
        CREATE INDEX alerts_device_time ON alerts (device, time_us);
        CREATE TABLE transitions (id INTEGER PRIMARY KEY, device TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
            rule TEXT NOT NULL, alert_type TEXT NOT NULL, image TEXT NOT NULL, fail_closed INTEGER NOT NULL DEFAULT 0, time_us INTEGER NOT NULL);
        CREATE TABLE device_state_history (id INTEGER PRIMARY KEY, device TEXT NOT NULL, state TEXT NOT NULL,
            since_us INTEGER NOT NULL, transition_id INTEGER REFERENCES transitions(id));
        CREATE TABLE stage_logs (id INTEGER PRIMARY KEY, transition_id INTEGER NOT NULL REFERENCES transitions(id) ON DELETE CASCADE,
            stage TEXT NOT NULL CHECK (stage IN ('STIMULUS','TRIGGER','REACT','FINISH')), time_us INTEGER NOT NULL, info TEXT NOT NULL DEFAULT '');
        CREATE INDEX stage_logs_transition ON stage_logs (transition_id);
        CREATE TABLE chain_instances (id INTEGER PRIMARY KEY, device TEXT NOT NULL, image TEXT NOT NULL, chain TEXT NOT NULL,
            deployed_us INTEGER NOT NULL, transition_id INTEGER REFERENCES transitions(id));
        CREATE TABLE umbox_logs (id INTEGER PRIMARY KEY, device TEXT NOT NULL, element TEXT NOT NULL, time_us INTEGER NOT NULL, message TEXT NOT NULL);
        CREATE TABLE command_log (id INTEGER PRIMARY KEY, device TEXT NOT NULL, command TEXT NOT NULL, rule TEXT NOT NULL, time_us INTEGER NOT NULL);
        CREATE TABLE audit_log (id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """, OldestReader: 1),

        // 2: devices added at run time (dashboard, pairing): the full definition, so they are rebuilt at start.
        new(
        """
        CREATE TABLE runtime_devices (name TEXT PRIMARY KEY, mac TEXT NOT NULL, ips TEXT NOT NULL DEFAULT '',
            type TEXT, image TEXT, chain TEXT, group_name TEXT, description TEXT NOT NULL DEFAULT '',
            credentials_user TEXT, credentials_password TEXT, created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL,
            CHECK ((type IS NOT NULL) + (image IS NOT NULL) + (chain IS NOT NULL) = 1));
        """, OldestReader: 1),

        // 3: management accounts (slow salted password hashes) and API tokens (SHA-256 of 256-bit random tokens).
        new(
        """
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, created_us INTEGER NOT NULL);
        CREATE TABLE api_tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
            owner TEXT NOT NULL, created_us INTEGER NOT NULL, last_used_us INTEGER);
        """, OldestReader: 2),

        // 4: fleet messages the MQTT broker has not acknowledged yet, oldest first (bounded by the publisher).
        new(
        """
        CREATE TABLE fleet_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload BLOB NOT NULL,
            queued_us INTEGER NOT NULL);
        """, OldestReader: 3),

        // 5: what the store says about who may read it (the compatibility guard at open).
        new(
        """
        CREATE TABLE schema_info (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """, OldestReader: 4),

        // 6: a runtime device's MUD file (RFC 8520) as it was resolved, so its egress allow-list is rebuilt at start.
        new(
        """
        ALTER TABLE runtime_devices ADD COLUMN mud_url TEXT;
        ALTER TABLE runtime_devices ADD COLUMN mud_file TEXT;
        """, OldestReader: 5),
    ];

    /// <summary>The <c>schema_info</c> row holding the oldest schema version whose firmware can read the store.</summary>
    public const string OldestReaderKey = "oldest-reader";
}

/// <summary>One schema step: its SQL and the oldest schema version whose firmware still reads a store after it.</summary>
internal sealed record Migration(string Sql, int OldestReader);
