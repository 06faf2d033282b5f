namespace KalkiEdge.Store;

/// <summary>
/// The store was written by newer firmware whose migrations this firmware cannot read. An <see cref="IOException"/>
/// so the command line reports it like any unreadable file; nothing in the store was changed.
/// </summary>
public sealed class StoreVersionException : IOException
{
    public StoreVersionException(string path, int found, int known, int oldestReader)
        : base($"{path}: store schema version {found} is newer than this firmware knows ({known}) and needs firmware of schema {oldestReader} or later; "
            + $"install that firmware again, or stop the appliance and put back {KalkiStore.SnapshotPath(path, known)} (the store as this firmware left it, if the update took one) or restore a backup")
    {
        Found = found;
        Known = known;
    }

    public StoreVersionException() { }

    public StoreVersionException(string message) : base(message) { }

    public StoreVersionException(string message, Exception inner) : base(message, inner) { }

    public int Found { get; }

    public int Known { get; }
}
