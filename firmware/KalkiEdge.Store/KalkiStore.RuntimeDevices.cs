using Microsoft.Data.Sqlite;

namespace KalkiEdge.Store;

/// <summary>
/// The runtime device registry's table: each change is committed with its audit entry in one transaction; device
/// credentials are sealed (<see cref="CredentialVault"/>) before they are written and opened when read.
/// </summary>
public sealed partial class KalkiStore
{
    private CredentialVault? _vault;

    internal CredentialVault Vault => _vault ??= CredentialVault.Open(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!, CredentialVault.KeysDirectoryName));

    public IReadOnlyList<RuntimeDeviceRecord> LoadRuntimeDevices()
    {
        lock (_gate)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT name, mac, ips, type, image, chain, group_name, description, credentials_user, credentials_password, mud_url, mud_file FROM runtime_devices ORDER BY created_us, name";
            using var r = cmd.ExecuteReader();
            var result = new List<RuntimeDeviceRecord>();
            while (r.Read())
            {
                string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
                var name = r.GetString(0);
                result.Add(new RuntimeDeviceRecord(name, r.GetString(1), r.GetString(2).Split(',', StringSplitOptions.RemoveEmptyEntries),
                    Text(3), Text(4), Text(5), Text(6), r.GetString(7), Vault.Open(Text(8), name), Vault.Open(Text(9), name))
                {
                    Mud = Text(10) is { } url && Text(11) is { } file ? new RuntimeDeviceMud(url, file) : null,
                });
            }

            return result;
        }
    }

    /// <summary>
    /// Adds or replaces the device (<paramref name="previousName"/>: the name it had, when an edit renames it), its
    /// identity row and the audit entry, all or nothing. A device that keeps its name keeps its committed state and
    /// its MUD file; with <paramref name="writeMud"/> the record's <see cref="RuntimeDeviceRecord.Mud"/> is written
    /// too (null clears it), so an edit that renames the device or changes its type says what becomes of the file.
    /// </summary>
    public void SaveRuntimeDevice(RuntimeDeviceRecord device, string? previousName, AuditEntry audit, bool writeMud = false)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(audit);
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            WriteRuntimeDevice(_connection, tx, device, previousName, audit, Vault);
            if (writeMud)
            {
                UpdateMud(_connection, tx, device.Name, device.Mud);
            }

            tx.Commit();
        }
    }

    /// <summary>The rows of <see cref="SaveRuntimeDevice"/> inside the caller's transaction (this store's connection or the writer's).</summary>
    internal static void WriteRuntimeDevice(SqliteConnection connection, SqliteTransaction tx, RuntimeDeviceRecord device, string? previousName, AuditEntry audit, CredentialVault vault)
    {
        int Execute(string sql, params (string Name, object? Value)[] parameters)
        {
            using var cmd = SqlCommands.Create(connection, tx, sql, parameters);
            return cmd.ExecuteNonQuery();
        }

        if (previousName is not null && previousName != device.Name)
        {
            Execute("DELETE FROM runtime_devices WHERE name = $n", ("$n", previousName));
            Execute("DELETE FROM devices WHERE name = $n", ("$n", previousName));
        }

        var ips = string.Join(",", device.Ips);
        Execute("""
            INSERT INTO runtime_devices (name, mac, ips, type, image, chain, group_name, description, credentials_user, credentials_password, created_us, updated_us)
            VALUES ($n, $m, $i, $t, $im, $c, $g, $d, $cu, $cp, $now, $now)
            ON CONFLICT(name) DO UPDATE SET mac = $m, ips = $i, type = $t, image = $im, chain = $c, group_name = $g, description = $d,
                credentials_user = $cu, credentials_password = $cp, updated_us = $now
            """, ("$n", device.Name), ("$m", device.Mac), ("$i", ips), ("$t", device.Type), ("$im", device.Image), ("$c", device.Chain),
            ("$g", device.Group), ("$d", device.Description), ("$cu", vault.Seal(device.CredentialsUser, device.Name)), ("$cp", vault.Seal(device.CredentialsPassword, device.Name)), ("$now", audit.TimeMicros));
        long? groupId = null;
        if (device.Group is not null)
        {
            using var cmd = SqlCommands.Create(connection, tx, "INSERT INTO groups (name) VALUES ($g) ON CONFLICT(name) DO UPDATE SET name = name RETURNING id", [("$g", device.Group)]);
            groupId = (long)cmd.ExecuteScalar()!;
        }

        // A change of type makes the committed state meaningless: the device starts over in its pack's initial state.
        Execute("""
            INSERT INTO devices (name, description, type, group_id, mac, ips) VALUES ($n, $d, $t, $g, $m, $i)
            ON CONFLICT(name) DO UPDATE SET description = $d, group_id = $g, mac = $m, ips = $i,
                state = CASE WHEN type IS $t THEN state END, state_since_us = CASE WHEN type IS $t THEN state_since_us END,
                image = CASE WHEN type IS $t THEN image END, type = $t
            """, ("$n", device.Name), ("$d", device.Description), ("$t", device.Type), ("$g", groupId), ("$m", device.Mac), ("$i", ips));
        Execute("INSERT INTO audit_log (time_us, actor, action, detail) VALUES ($t, $a, $ac, $d)",
            ("$t", audit.TimeMicros), ("$a", audit.Actor), ("$ac", audit.Action), ("$d", audit.Detail));
    }

    /// <summary>
    /// Sets (null: clears) the MUD file of a runtime device, with the audit entry; false when no such device is
    /// stored (deleted meanwhile, or its pairing commit failed).
    /// </summary>
    public bool SetRuntimeDeviceMud(string name, RuntimeDeviceMud? mud, AuditEntry audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            var set = WriteRuntimeDeviceMud(_connection, tx, name, mud, audit);
            tx.Commit();
            return set;
        }
    }

    /// <summary>The rows of <see cref="SetRuntimeDeviceMud"/> inside the caller's transaction.</summary>
    internal static bool WriteRuntimeDeviceMud(SqliteConnection connection, SqliteTransaction tx, string name, RuntimeDeviceMud? mud, AuditEntry audit)
    {
        if (UpdateMud(connection, tx, name, mud) == 0)
        {
            return false;
        }

        using var audited = SqlCommands.Create(connection, tx, "INSERT INTO audit_log (time_us, actor, action, detail) VALUES ($t, $a, $ac, $d)",
            [("$t", audit.TimeMicros), ("$a", audit.Actor), ("$ac", audit.Action), ("$d", audit.Detail)]);
        audited.ExecuteNonQuery();
        return true;
    }

    private static int UpdateMud(SqliteConnection connection, SqliteTransaction tx, string name, RuntimeDeviceMud? mud)
    {
        using var cmd = SqlCommands.Create(connection, tx, "UPDATE runtime_devices SET mud_url = $u, mud_file = $f WHERE name = $n", [("$u", mud?.Url), ("$f", mud?.File), ("$n", name)]);
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Deletes the device and its identity row (history stays, by name), with the audit entry. False when it was not there.</summary>
    public bool DeleteRuntimeDevice(string name, AuditEntry audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            var deleted = Execute("DELETE FROM runtime_devices WHERE name = $n", tx, ("$n", name)) > 0;
            if (deleted)
            {
                Execute("DELETE FROM device_tags WHERE device_id IN (SELECT id FROM devices WHERE name = $n)", tx, ("$n", name));
                Execute("DELETE FROM devices WHERE name = $n", tx, ("$n", name));
                InsertAudit(audit, tx);
            }

            tx.Commit();
            return deleted;
        }
    }

    private void InsertAudit(AuditEntry audit, Microsoft.Data.Sqlite.SqliteTransaction? tx) =>
        Execute("INSERT INTO audit_log (time_us, actor, action, detail) VALUES ($t, $a, $ac, $d)", tx,
            ("$t", audit.TimeMicros), ("$a", audit.Actor), ("$ac", audit.Action), ("$d", audit.Detail));
}
