namespace KalkiEdge.Store;

/// <summary>A management API token as listed (its secret is never stored, only its hash).</summary>
public sealed record ApiTokenRecord(long Id, string Name, string Owner, long CreatedMicros, long? LastUsedMicros);

/// <summary>Management accounts and API tokens. Hashing is the caller's: the store keeps only what it is given.</summary>
public sealed partial class KalkiStore
{
    public bool HasUsers()
    {
        lock (_gate)
        {
            return (long)Scalar("SELECT COUNT(*) FROM users")! > 0;
        }
    }

    /// <summary>Creates the first account, atomically: false when one exists already (setup happens once).</summary>
    public bool CreateFirstUser(string name, string passwordHash, AuditEntry audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            if ((long)Scalar("SELECT COUNT(*) FROM users", tx)! > 0)
            {
                return false;
            }

            Execute("INSERT INTO users (name, password_hash, created_us) VALUES ($n, $h, $t)", tx, ("$n", name), ("$h", passwordHash), ("$t", audit.TimeMicros));
            InsertAudit(audit, tx);
            tx.Commit();
            return true;
        }
    }

    public string? PasswordHash(string user)
    {
        lock (_gate)
        {
            return Scalar("SELECT password_hash FROM users WHERE name = $n", null, ("$n", user)) as string;
        }
    }

    public void SetPasswordHash(string user, string passwordHash)
    {
        lock (_gate)
        {
            Execute("UPDATE users SET password_hash = $h WHERE name = $n", null, ("$n", user), ("$h", passwordHash));
        }
    }

    public long AddApiToken(string name, string owner, string tokenHash, AuditEntry audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            var id = (long)Scalar("INSERT INTO api_tokens (name, token_hash, owner, created_us) VALUES ($n, $h, $o, $t) RETURNING id", tx,
                ("$n", name), ("$h", tokenHash), ("$o", owner), ("$t", audit.TimeMicros))!;
            InsertAudit(audit, tx);
            tx.Commit();
            return id;
        }
    }

    public IReadOnlyList<ApiTokenRecord> ApiTokens() => Read(
        "SELECT id, name, owner, created_us, last_used_us FROM api_tokens ORDER BY id",
        r => new ApiTokenRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetInt64(4)));

    public bool DeleteApiToken(long id, AuditEntry audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            var deleted = Execute("DELETE FROM api_tokens WHERE id = $i", tx, ("$i", id)) > 0;
            if (deleted)
            {
                InsertAudit(audit, tx);
            }

            tx.Commit();
            return deleted;
        }
    }

    /// <summary>The owner of the token with this hash (and marks it used), or null.</summary>
    public string? UseApiToken(string tokenHash, long nowMicros)
    {
        lock (_gate)
        {
            var owner = Scalar("UPDATE api_tokens SET last_used_us = $t WHERE token_hash = $h RETURNING owner", null, ("$h", tokenHash), ("$t", nowMicros)) as string;
            return owner;
        }
    }

    /// <summary>An operator action outside a registry change (login, reset, pack edit): committed now.</summary>
    public void AppendAudit(AuditEntry audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        lock (_gate)
        {
            InsertAudit(audit, null);
        }
    }
}
