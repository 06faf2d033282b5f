namespace KalkiEdge.Store;

/// <summary>Limits for the tables that grow with time (the SD card must not fill up).</summary>
public sealed record RetentionPolicy(long MaxAgeMicros, int MaxRows)
{
    public static readonly RetentionPolicy Default = new(7L * 86_400_000_000, 200_000);
}
