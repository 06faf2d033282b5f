using System.Collections.Concurrent;
using KalkiEdge.Core;
using Microsoft.Data.Sqlite;

namespace KalkiEdge.Store;

/// <summary>
/// Writes operational records on a background thread, in batched transactions, so the data and control planes
/// never wait for the disk. Two queues: <em>critical</em> records (transitions with their stage logs and the
/// device's new state, commands, audit) are never dropped — they are bounded by the rate of policy decisions;
/// <em>bulk</em> records (alerts, telemetry, μmbox logs) have a fixed capacity and are counted and dropped when a
/// flood outruns the disk. A record is durable once its batch committed: <see cref="Flush"/> waits for that.
/// Retention pruning runs on the same thread.
/// </summary>
public sealed class StoreWriter : IDisposable
{
    private const int BatchSize = 2048;

    private readonly ConcurrentQueue<WriteOp> _critical = new();
    private readonly ConcurrentQueue<WriteOp> _bulk = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SqliteConnection _connection;
    private readonly Thread _thread;
    private readonly int _bulkCapacity;
    private readonly RetentionPolicy _retention;
    private readonly Func<long> _clock;
    private readonly long _pruneEveryMicros;
    private long _lastPrune;
    private int _bulkCount;
    private volatile bool _stopping;
    private readonly CredentialVault _vault;

    public StoreWriter(KalkiStore store, Func<long> clockMicros, RetentionPolicy? retention = null, int bulkCapacity = 65_536, long pruneEveryMicros = 60_000_000)
    {
        _connection = KalkiStore.OpenConnection(store.Path);
        _vault = store.Vault;
        _bulkCapacity = bulkCapacity;
        _retention = retention ?? RetentionPolicy.Default;
        _clock = clockMicros;
        _pruneEveryMicros = pruneEveryMicros;
        _thread = new Thread(Run) { IsBackground = true, Name = "store-writer" };
        _thread.Start();
    }

    public StoreCounters Counters { get; } = new();

    /// <summary>Bulk records (alerts, telemetry, logs) queued and not yet committed.</summary>
    public int BulkQueued => Volatile.Read(ref _bulkCount);

    /// <summary>Last error (a failing disk must not stop enforcement; it is reported instead).</summary>
    public string? LastError { get; private set; }

    public void Alert(Alert alert) => Bulk(new AlertOp(alert));

    public void Telemetry(TelemetryRecord reading) => Bulk(new TelemetryOp(reading));

    public void UmboxLog(string device, string element, long timeMicros, string message) => Bulk(new UmboxLogOp(device, element, timeMicros, message));

    public void Transition(TransitionEvent transition) => Critical(new TransitionOp(transition));

    public void Command(string device, string command, string rule, long timeMicros) => Critical(new CommandOp(device, command, rule, timeMicros));

    /// <summary>An operator action. <paramref name="detail"/> must not contain secrets (pass redacted records).</summary>
    public void Audit(long timeMicros, string actor, string action, string detail) => Critical(new AuditOp(timeMicros, actor, action, detail));

    /// <summary>
    /// A runtime device added with its chain already in force (pairing): committed in FIFO order with the critical
    /// records, so the device's row is written before any transition of it. <paramref name="committed"/> is called
    /// on the writer thread once its transaction committed (null: durable, it survives a kill -9 from now on) or
    /// failed (the reason): keep it short and never wait for this writer from it.
    /// </summary>
    public void RuntimeDevice(RuntimeDeviceRecord device, AuditEntry audit, Action<string?> committed) => Critical(new RuntimeDeviceOp(device, audit, committed));

    /// <summary>
    /// A runtime device's MUD file, committed in FIFO order after the device's own row (<see cref="RuntimeDevice"/>).
    /// <paramref name="committed"/> is called on the writer thread: true once stored, false when the device has no
    /// row (its commit failed, or it was deleted) or the transaction failed.
    /// </summary>
    public void RuntimeDeviceMud(string name, RuntimeDeviceMud? mud, AuditEntry audit, Action<bool> committed) => Critical(new RuntimeDeviceMudOp(name, mud, audit, committed));

    /// <summary>Waits until everything queued before this call is committed (or the timeout passes).</summary>
    public bool Flush(TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Critical(new FlushOp(done));
        return done.Task.Wait(timeout);
    }

    public void Dispose()
    {
        Flush(TimeSpan.FromSeconds(10));
        _stopping = true;
        _signal.Release();
        _thread.Join(TimeSpan.FromSeconds(10));
        _connection.Dispose();
        _signal.Dispose();
    }

    private void Bulk(WriteOp op)
    {
        if (Interlocked.Increment(ref _bulkCount) > _bulkCapacity)
        {
            Interlocked.Decrement(ref _bulkCount);
            Interlocked.Increment(ref Counters.DroppedBulk);
            return;
        }

        _bulk.Enqueue(op);
        _signal.Release();
    }

    private void Critical(WriteOp op)
    {
        _critical.Enqueue(op);
        _signal.Release();
    }

    private void Run()
    {
        var batch = new List<WriteOp>(BatchSize);
        while (!_stopping || !_critical.IsEmpty || !_bulk.IsEmpty)
        {
            _signal.Wait(TimeSpan.FromSeconds(1));
            batch.Clear();
            // Critical records first so a flood of bulk records cannot delay a state change's durability.
            while (batch.Count < BatchSize && _critical.TryDequeue(out var op))
            {
                batch.Add(op);
            }

            while (batch.Count < BatchSize && _bulk.TryDequeue(out var op))
            {
                Interlocked.Decrement(ref _bulkCount);
                batch.Add(op);
            }

            if (batch.Count > 0)
            {
                Commit(batch);
            }

            MaybePrune();
        }
    }

    /// <summary>
    /// One transaction for the batch; when it fails, each record again in its own, so one record the database
    /// refuses loses only itself and its owner hears why.
    /// </summary>
    private void Commit(List<WriteOp> batch)
    {
        var error = TryCommit(batch);
        if (error is not null && batch.Count > 1)
        {
            foreach (var op in batch)
            {
                Report(op, TryCommit([op]));
            }
        }
        else
        {
            foreach (var op in batch)
            {
                Report(op, error);
            }
        }
    }

    private string? TryCommit(List<WriteOp> batch)
    {
        try
        {
            using (var tx = _connection.BeginTransaction())
            {
                foreach (var op in batch)
                {
                    Write(op, tx);
                }

                tx.Commit();
            }

            Interlocked.Add(ref Counters.Written, batch.Count);
            Interlocked.Increment(ref Counters.Batches);
            return null;
        }
        catch (SqliteException e)
        {
            Interlocked.Increment(ref Counters.Errors);
            LastError = e.Message;
            return e.Message;
        }
    }

    private static void Report(WriteOp op, string? error)
    {
        switch (op)
        {
            case FlushOp f:
                f.Done.TrySetResult();
                break;
            case RuntimeDeviceOp d:
                d.Committed(error);
                break;
            case RuntimeDeviceMudOp m:
                m.Committed(error is null && m.Found);
                break;
        }
    }

    private void Write(WriteOp op, SqliteTransaction tx)
    {
        switch (op)
        {
            case AlertOp { Alert: var a }:
                Exec(tx, "INSERT INTO alerts (type, device, source, time_us, info, element, sid, frame, count) VALUES ($t, $d, $s, $ti, $i, $e, $sid, $f, $c)",
                    ("$t", a.Type), ("$d", a.Device), ("$s", a.Source.ToString()), ("$ti", a.TimeMicros), ("$i", a.Info), ("$e", a.Element), ("$sid", a.Sid), ("$f", a.FrameNumber), ("$c", a.Count));
                break;
            case TransitionOp { Transition: var t }:
                WriteTransition(t, tx);
                break;
            case TelemetryOp { Reading: var r }:
                Exec(tx, "INSERT INTO telemetry (device, sensor, time_us, value_kind, int_value, decimal_value, text_value) VALUES ($d, $s, $t, $k, $i, $dec, $txt)",
                    ("$d", r.Device), ("$s", r.Sensor), ("$t", r.TimeMicros), ("$k", r.Value.Kind.ToString().ToLowerInvariant()),
                    ("$i", r.Value.Kind is Core.Policy.ValueKind.Bool or Core.Policy.ValueKind.Int or Core.Policy.ValueKind.Timestamp ? r.Value.Number : null),
                    ("$dec", r.Value.Kind == Core.Policy.ValueKind.Decimal ? r.Value.ToString() : null),
                    ("$txt", r.Value.Kind == Core.Policy.ValueKind.String ? r.Value.Text : null));
                break;
            case UmboxLogOp u:
                Exec(tx, "INSERT INTO umbox_logs (device, element, time_us, message) VALUES ($d, $e, $t, $m)", ("$d", u.Device), ("$e", u.Element), ("$t", u.TimeMicros), ("$m", u.Message));
                break;
            case CommandOp c:
                Exec(tx, "INSERT INTO command_log (device, command, rule, time_us) VALUES ($d, $c, $r, $t)", ("$d", c.Device), ("$c", c.Command), ("$r", c.Rule), ("$t", c.TimeMicros));
                break;
            case RuntimeDeviceOp d:
                KalkiStore.WriteRuntimeDevice(_connection, tx, d.Device, null, d.Audit, _vault);
                break;
            case RuntimeDeviceMudOp m:
                m.Found = KalkiStore.WriteRuntimeDeviceMud(_connection, tx, m.Name, m.Mud, m.Audit);
                break;
            case AuditOp a:
                Exec(tx, "INSERT INTO audit_log (time_us, actor, action, detail) VALUES ($t, $a, $ac, $d)", ("$t", a.TimeMicros), ("$a", a.Actor), ("$ac", a.Action), ("$d", a.Detail));
                break;
        }
    }

    /// <summary>The transition, its four stages, the state history row, the chain instance and the device's current state: one unit.</summary>
    private void WriteTransition(TransitionEvent t, SqliteTransaction tx)
    {
        var id = (long)Scalar(tx, "INSERT INTO transitions (device, from_state, to_state, rule, alert_type, image, fail_closed, time_us) VALUES ($d, $f, $to, $r, $a, $i, $fc, $t) RETURNING id",
            ("$d", t.Device), ("$f", t.From), ("$to", t.To), ("$r", t.Rule), ("$a", t.AlertType), ("$i", t.Image), ("$fc", t.FailClosed ? 1 : 0), ("$t", t.FinishMicros))!;
        foreach (var (stage, time) in (ReadOnlySpan<(string, long)>)[("STIMULUS", t.StimulusMicros), ("TRIGGER", t.TriggerMicros), ("REACT", t.ReactMicros), ("FINISH", t.FinishMicros)])
        {
            Exec(tx, "INSERT INTO stage_logs (transition_id, stage, time_us) VALUES ($id, $s, $t)", ("$id", id), ("$s", stage), ("$t", time));
        }

        Exec(tx, "INSERT INTO device_state_history (device, state, since_us, transition_id) VALUES ($d, $s, $t, $id)", ("$d", t.Device), ("$s", t.To), ("$t", t.FinishMicros), ("$id", id));
        Exec(tx, "INSERT INTO chain_instances (device, image, chain, deployed_us, transition_id) VALUES ($d, $i, $c, $t, $id)", ("$d", t.Device), ("$i", t.Image), ("$c", t.ChainText), ("$t", t.FinishMicros), ("$id", id));
        Exec(tx, "UPDATE devices SET state = $s, state_since_us = $t, image = $i WHERE name = $d", ("$s", t.To), ("$t", t.FinishMicros), ("$i", t.Image), ("$d", t.Device));
    }

    /// <summary>Bounds the growing tables by age (on the control clock) and by row count.</summary>
    private void MaybePrune()
    {
        var now = _clock();
        if (now - _lastPrune < _pruneEveryMicros)
        {
            return;
        }

        _lastPrune = now;
        PruneNow(now);
    }

    internal void PruneNow(long nowMicros)
    {
        try
        {
            using var tx = _connection.BeginTransaction();
            long pruned = 0;
            foreach (var table in (ReadOnlySpan<string>)["alerts", "telemetry", "umbox_logs", "command_log", "audit_log"])
            {
                pruned += Exec(tx, $"DELETE FROM {table} WHERE time_us < $t", ("$t", nowMicros - _retention.MaxAgeMicros));
                pruned += Exec(tx, $"DELETE FROM {table} WHERE id <= (SELECT id FROM {table} ORDER BY id DESC LIMIT 1 OFFSET $n)", ("$n", _retention.MaxRows));
            }

            // Reaction traces: keep the newest transitions (stage logs cascade), never a device's current state row.
            pruned += Exec(tx, "DELETE FROM device_state_history WHERE id <= (SELECT id FROM device_state_history ORDER BY id DESC LIMIT 1 OFFSET $n)", ("$n", _retention.MaxRows));
            pruned += Exec(tx, "DELETE FROM chain_instances WHERE id <= (SELECT id FROM chain_instances ORDER BY id DESC LIMIT 1 OFFSET $n)", ("$n", _retention.MaxRows));
            pruned += Exec(tx, "DELETE FROM transitions WHERE id <= (SELECT id FROM transitions ORDER BY id DESC LIMIT 1 OFFSET $n) AND id NOT IN (SELECT transition_id FROM device_state_history WHERE transition_id IS NOT NULL) AND id NOT IN (SELECT transition_id FROM chain_instances WHERE transition_id IS NOT NULL)", ("$n", _retention.MaxRows));
            tx.Commit();
            Interlocked.Add(ref Counters.Pruned, pruned);
        }
        catch (SqliteException e)
        {
            Interlocked.Increment(ref Counters.Errors);
            LastError = e.Message;
        }
    }

    private int Exec(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = SqlCommands.Create(_connection, tx, sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    private object? Scalar(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = SqlCommands.Create(_connection, tx, sql, parameters);
        return cmd.ExecuteScalar();
    }
}
