using Microsoft.Data.Sqlite;

namespace KalkiEdge.Store;

/// <summary>A fleet message waiting in the outbox: its row id (the order of publication), topic and payload.</summary>
public sealed record OutboxMessage(long Id, string Topic, byte[] Payload);

/// <summary>
/// The fleet publisher's on-disk queue in the store's file (table <c>fleet_outbox</c>): messages are appended before
/// they are published and removed once the broker acknowledged them, so a broker that is away (or an appliance
/// restart) loses nothing that was appended. Bounded at <see cref="Limit"/> rows: an append beyond it removes the
/// oldest rows and counts them in <see cref="Dropped"/>. An append the disk refuses (full, read-only) is rolled
/// back and counted in <see cref="Lost"/>; the outbox stays usable. Its own connection (the publisher's thread is
/// its only user), at <c>synchronous=NORMAL</c>: in WAL mode a commit survives a crash of the process; a power
/// cut may lose the last commits, as for the store's other bulk records.
/// </summary>
public sealed class FleetOutbox : IDisposable
{
    private readonly SqliteConnection _connection;

    private FleetOutbox(SqliteConnection connection, int limit)
    {
        _connection = connection;
        Limit = limit;
        Count = (int)(long)Scalar("SELECT COUNT(*) FROM fleet_outbox")!;
    }

    public int Limit { get; }

    /// <summary>Messages waiting now.</summary>
    public int Count { get; private set; }

    /// <summary>Oldest messages removed to keep the outbox within <see cref="Limit"/>.</summary>
    public long Dropped { get; private set; }

    /// <summary>Messages the disk refused to take (their append was rolled back).</summary>
    public long Lost { get; private set; }

    /// <summary>The last error the disk gave, for the log.</summary>
    public string? LastError { get; private set; }

    /// <summary>Opens the outbox of the store at <paramref name="storePath"/> (opened and migrated by <see cref="KalkiStore.Open"/> first).</summary>
    public static FleetOutbox Open(string storePath, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var connection = KalkiStore.OpenConnection(storePath);
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous=NORMAL";
            pragma.ExecuteNonQuery();
        }

        return new FleetOutbox(connection, limit);
    }

    /// <summary>Appends messages in order, in one transaction; false (and counted as lost) when the disk refused them.</summary>
    public bool Append(IReadOnlyList<(string Topic, byte[] Payload)> messages, long nowMicros)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return true;
        }

        try
        {
            using var tx = _connection.BeginTransaction();
            using (var insert = SqlCommands.Create(_connection, tx, "INSERT INTO fleet_outbox (topic, payload, queued_us) VALUES ($t, $p, $q)", [("$t", ""), ("$p", Array.Empty<byte>()), ("$q", nowMicros)]))
            {
                foreach (var (topic, payload) in messages)
                {
                    insert.Parameters["$t"].Value = topic;
                    insert.Parameters["$p"].Value = payload;
                    insert.ExecuteNonQuery();
                }
            }

            int overflow = Math.Max(0, Count + messages.Count - Limit);
            if (overflow > 0)
            {
                Execute("DELETE FROM fleet_outbox WHERE id IN (SELECT id FROM fleet_outbox ORDER BY id LIMIT $n)", tx, ("$n", overflow));
            }

            tx.Commit();
            Count += messages.Count - overflow;
            Dropped += overflow;
            return true;
        }
        catch (SqliteException e)
        {
            Lost += messages.Count;
            LastError = e.Message;
            return false;
        }
    }

    /// <summary>The oldest <paramref name="max"/> messages, in order (empty when the disk cannot be read).</summary>
    public IReadOnlyList<OutboxMessage> Oldest(int max)
    {
        var result = new List<OutboxMessage>(Math.Min(max, Count));
        try
        {
            using var cmd = SqlCommands.Create(_connection, null, "SELECT id, topic, payload FROM fleet_outbox ORDER BY id LIMIT $n", [("$n", max)]);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                result.Add(new OutboxMessage(r.GetInt64(0), r.GetString(1), (byte[])r.GetValue(2)));
            }
        }
        catch (SqliteException e)
        {
            LastError = e.Message;
        }

        return result;
    }

    /// <summary>Removes every message up to and including <paramref name="id"/> (the broker acknowledged them).</summary>
    public void Remove(long id, int count)
    {
        try
        {
            Execute("DELETE FROM fleet_outbox WHERE id <= $id", null, ("$id", id));
            Count = Math.Max(0, Count - count);
        }
        catch (SqliteException e)
        {
            // Left in place, they are published again later: at-least-once, as QoS 1 promises anyway.
            LastError = e.Message;
        }
    }

    /// <summary>Test hook: caps the database file at this many pages (SQLite then answers "database or disk is full").</summary>
    internal void CapPages(long pages) => Execute($"PRAGMA max_page_count = {pages}", null);

    internal long PageCount() => (long)Scalar("PRAGMA page_count")!;

    public void Dispose() => _connection.Dispose();

    private object? Scalar(string sql)
    {
        using var cmd = SqlCommands.Create(_connection, null, sql, []);
        return cmd.ExecuteScalar();
    }

    private void Execute(string sql, SqliteTransaction? tx, params (string Name, object? Value)[] parameters)
    {
        using var cmd = SqlCommands.Create(_connection, tx, sql, parameters);
        cmd.ExecuteNonQuery();
    }
}
