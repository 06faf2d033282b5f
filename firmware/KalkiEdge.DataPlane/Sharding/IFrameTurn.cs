namespace KalkiEdge.DataPlane.Sharding;

/// <summary>
/// A frame's turn in the global order when several engine threads process frames: <see cref="Take"/> returns once
/// every earlier frame has been processed and merged, so what it does next (an alert, a log line, learning an address)
/// happens exactly where a single thread would have done it.
/// </summary>
public interface IFrameTurn
{
    void Take();
}
