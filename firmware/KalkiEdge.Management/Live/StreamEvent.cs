namespace KalkiEdge.Management.Live;

/// <summary>One live-stream event as it goes out: its SSE event name and its payload (one of the API's JSON shapes).</summary>
public readonly record struct StreamEvent(string Name, object Payload)
{
    public const string Alert = "alert";
    public const string Overflow = "overflow";
    public const string Transition = "transition";
}
