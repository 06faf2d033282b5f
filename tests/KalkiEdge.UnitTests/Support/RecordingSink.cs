using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.UnitTests.Support;

/// <summary>An egress that keeps a copy of every frame it is handed (for tests that check what got out, byte for byte).</summary>
public sealed class RecordingSink : IFrameSink
{
    public List<byte[]> Sent { get; } = [];

    public string Name => "recording";

    public void Send(Frame frame) => Sent.Add(frame.Data.ToArray());

    public void Dispose()
    {
    }
}
