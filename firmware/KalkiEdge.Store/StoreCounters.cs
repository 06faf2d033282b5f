namespace KalkiEdge.Store;

/// <summary>Store counters for status displays and tests.</summary>
public sealed class StoreCounters
{
    public long Written;
    public long Batches;
    public long DroppedBulk;
    public long Pruned;
    public long Errors;
}
