using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.UnitTests.Support;

/// <summary>An egress that only counts what it is handed (for tests that check how many frames got out).</summary>
public sealed class CountingSink : IFrameSink
{
    public long Frames { get; private set; }

    public string Name => "counting";

    public void Send(Frame frame) => Frames++;

    public void Dispose()
    {
    }
}
