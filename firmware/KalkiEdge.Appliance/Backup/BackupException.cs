namespace KalkiEdge.Appliance.Backup;

/// <summary>A backup that cannot be made, or an archive refused by restore; the message says what and why.</summary>
public sealed class BackupException : Exception
{
    public BackupException() { }

    public BackupException(string message) : base(message) { }

    public BackupException(string message, Exception inner) : base(message, inner) { }
}
