using Microsoft.Data.Sqlite;

namespace KalkiEdge.Store;

public sealed record AlertRow(string Type, string Device, long TimeMicros, string Source, string Info, string? Element, int Count);

public sealed record StageRow(string Stage, long TimeMicros, string Info);

public sealed record TransitionRow(string From, string To, string Rule, string AlertType, string Image, bool FailClosed, long TimeMicros, IReadOnlyList<StageRow> Stages)
{
    /// <summary>STIMULUS to FINISH, as replay reports it.</summary>
    public long ReactionMicros => Stages.Count == 0 ? 0 : Stages.Max(s => s.TimeMicros) - Stages.Min(s => s.TimeMicros);
}

public sealed record StateRow(string State, long SinceMicros);

public sealed record TelemetryRow(string Sensor, long TimeMicros, string Value);

public sealed record AuditRow(long TimeMicros, string Actor, string Action, string Detail);

public sealed record AlertTypeRow(string Name, string Source, string? DeviceType);

/// <summary>The management API's reads: newest first, always bounded by a limit.</summary>
public sealed partial class KalkiStore
{
    public const int MaxRowsPerRead = 1000;

    public IReadOnlyList<AlertRow> Alerts(string device, int limit) => Read(
        "SELECT type, device, time_us, source, info, element, count FROM alerts WHERE device = $d ORDER BY time_us DESC, id DESC LIMIT $l",
        r => new AlertRow(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetInt32(6)),
        ("$d", device), ("$l", Bound(limit)));

    public IReadOnlyList<TransitionRow> Transitions(string device, int limit)
    {
        lock (_gate)
        {
            var rows = Read(
                "SELECT id, from_state, to_state, rule, alert_type, image, fail_closed, time_us FROM transitions WHERE device = $d ORDER BY id DESC LIMIT $l",
                r => (Id: r.GetInt64(0), Row: new TransitionRow(r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt64(6) != 0, r.GetInt64(7), [])),
                ("$d", device), ("$l", Bound(limit)));
            return [.. rows.Select(t => t.Row with
            {
                Stages = Read("SELECT stage, time_us, info FROM stage_logs WHERE transition_id = $t ORDER BY time_us, id",
                    r => new StageRow(r.GetString(0), r.GetInt64(1), r.GetString(2)), ("$t", t.Id)),
            })];
        }
    }

    public IReadOnlyList<StateRow> StateHistory(string device, int limit) => Read(
        "SELECT state, since_us FROM device_state_history WHERE device = $d ORDER BY id DESC LIMIT $l",
        r => new StateRow(r.GetString(0), r.GetInt64(1)), ("$d", device), ("$l", Bound(limit)));

    /// <summary>The newest readings of each sensor of the device (at most <paramref name="perSensor"/> each), oldest first.</summary>
    public IReadOnlyList<TelemetryRow> Telemetry(string device, int perSensor) => Read(
        """
        SELECT sensor, time_us, COALESCE(text_value, decimal_value, CAST(int_value AS TEXT), '') FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY sensor ORDER BY time_us DESC, id DESC) AS n FROM telemetry WHERE device = $d)
        WHERE n <= $l ORDER BY sensor, time_us
        """,
        r => new TelemetryRow(r.GetString(0), r.GetInt64(1), r.GetString(2)), ("$d", device), ("$l", Bound(perSensor)));

    public IReadOnlyList<AuditRow> Audit(int limit) => Read(
        "SELECT time_us, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT $l",
        r => new AuditRow(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3)), ("$l", Bound(limit)));

    public IReadOnlyList<AlertTypeRow> AlertTypes() => Read(
        "SELECT a.name, a.source, t.name FROM alert_types a LEFT JOIN device_types t ON t.id = a.type_id ORDER BY a.name",
        r => new AlertTypeRow(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)));

    private static int Bound(int limit) => Math.Clamp(limit, 1, MaxRowsPerRead);

    private List<T> Read<T>(string sql, Func<SqliteDataReader, T> row, params (string Name, object? Value)[] parameters)
    {
        lock (_gate)
        {
            using var cmd = SqlCommands.Create(_connection, null, sql, parameters);
            using var r = cmd.ExecuteReader();
            var result = new List<T>();
            while (r.Read())
            {
                result.Add(row(r));
            }

            return result;
        }
    }
}
