using Microsoft.Data.Sqlite;

namespace KalkiEdge.Store;

/// <summary>A parameterized statement on a connection (the reader and the writer each own one).</summary>
internal static class SqlCommands
{
    public static SqliteCommand Create(SqliteConnection connection, SqliteTransaction? tx, string sql, (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }
}
