using Microsoft.Data.Sqlite;

namespace KalkiEdge.Store;

/// <summary>
/// A fleet message waiting in the outbox: its row id (the order of publication), topic and payload. An EVE payload
/// holds one or more newline-ended JSON lines, one event each (<see cref="Events"/>); any other payload is one event.
/// </summary>
public sealed record OutboxMessage(long Id, string Topic, byte[] Payload)
{
    public int Events { get; } = EventsIn(Payload);

    /// <summary>Newlines in the payload, at least one: a row queued by an older firmware (or a JSON document) ends with none.</summary>
    public static int EventsIn(byte[] payload) => Math.Max(1, payload.AsSpan().Count((byte)'\n'));
}

/// <summary>
/// The fleet publisher's on-disk queue in the store's file (table <c>fleet_outbox</c>): messages are appended before
/// they are published and removed once the broker acknowledged them, so a broker that is away (or an appliance
/// restart) loses nothing that was appended. A row is a batch of events (consecutive EVE lines of one topic, as
/// they will travel), so an alert storm costs one insert per batch, not per alert; the schema is unchanged and a
/// row holding one line is what an older firmware wrote. Bounded at <see cref="Limit"/> events: an append beyond
/// it removes the oldest rows and counts their events in <see cref="Dropped"/>. An append the disk refuses (full,
/// read-only) is rolled back and its events counted in <see cref="Lost"/>; the outbox stays usable. Its own connection (the publisher's thread is
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
        Count = CountEvents();
    }

    public int Limit { get; }

    /// <summary>Events waiting now (the lines of every row).</summary>
    public int Count { get; private set; }

    /// <summary>Events of the oldest rows removed to keep the outbox within <see cref="Limit"/>.</summary>
    public long Dropped { get; private set; }

    /// <summary>Events the disk refused to take (their append was rolled back).</summary>
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

    /// <summary>Appends messages (each one row, see <see cref="OutboxMessage.Events"/>) in order, in one transaction; false (and their events counted as lost) when the disk refused them.</summary>
    public bool Append(IReadOnlyList<(string Topic, byte[] Payload)> messages, long nowMicros)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return true;
        }

        int events = 0;
        foreach (var (_, payload) in messages)
        {
            events += OutboxMessage.EventsIn(payload);
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

            int overflow = Math.Max(0, Count + events - Limit);
            if (overflow > 0)
            {
                DropOldest(overflow, tx);
            }

            tx.Commit();
            Count += events - overflow;
            Dropped += overflow;
            return true;
        }
        catch (SqliteException e)
        {
            Lost += events;
            LastError = e.Message;
            return false;
        }
    }

    /// <summary>
    /// Removes the oldest <paramref name="events"/> events: whole rows, and the first lines of the row where the
    /// count ends (so the newest <see cref="Limit"/> events stay, exactly).
    /// </summary>
    private void DropOldest(int events, SqliteTransaction tx)
    {
        int dropped = 0;
        long lastWhole = 0;
        (long Id, byte[] Tail)? cut = null;
        using (var cmd = SqlCommands.Create(_connection, tx, "SELECT id, payload FROM fleet_outbox ORDER BY id", []))
        using (var r = cmd.ExecuteReader())
        {
            while (dropped < events && r.Read())
            {
                var payload = (byte[])r.GetValue(1);
                int n = OutboxMessage.EventsIn(payload);
                if (dropped + n <= events)
                {
                    dropped += n;
                    lastWhole = r.GetInt64(0);
                }
                else
                {
                    cut = (r.GetInt64(0), payload[LineStart(payload, events - dropped)..]);
                    dropped = events;
                }
            }
        }

        Execute("DELETE FROM fleet_outbox WHERE id <= $id", tx, ("$id", lastWhole));
        if (cut is var (id, tail))
        {
            Execute("UPDATE fleet_outbox SET payload = $p WHERE id = $id", tx, ("$p", tail), ("$id", id));
        }
    }

    /// <summary>Where line <paramref name="line"/> (from 0) of newline-ended lines begins.</summary>
    private static int LineStart(byte[] payload, int line)
    {
        int at = 0;
        for (int i = 0; i < line; i++)
        {
            at += payload.AsSpan(at).IndexOf((byte)'\n') + 1;
        }

        return at;
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

            if (result.Count == 0)
            {
                Count = 0; // the table is empty: a count that says otherwise would have the publisher read it again and again
            }
        }
        catch (SqliteException e)
        {
            LastError = e.Message;
        }

        return result;
    }

    /// <summary>Removes every message up to and including <paramref name="id"/> (the broker acknowledged them: <paramref name="events"/> events).</summary>
    public void Remove(long id, int events)
    {
        try
        {
            Execute("DELETE FROM fleet_outbox WHERE id <= $id", null, ("$id", id));
            Count = Math.Max(0, Count - events);
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

    private int CountEvents()
    {
        int events = 0;
        using var cmd = SqlCommands.Create(_connection, null, "SELECT payload FROM fleet_outbox", []);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            events += OutboxMessage.EventsIn((byte[])r.GetValue(0));
        }

        return events;
    }

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
