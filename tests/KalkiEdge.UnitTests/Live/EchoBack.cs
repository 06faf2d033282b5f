using KalkiEdge.DataPlane;

namespace KalkiEdge.UnitTests.Live;

/// <summary>Answers every frame with a copy whose addresses are swapped (stands in for a replying μmbox).</summary>
internal sealed class EchoBack : Element
{
    public static ChainDefinition Chain { get; } = new("echo", [new ElementSpec<int>("echo", 0, static _ => new EchoBack())], []);

    public override Verdict Process(Frame frame, ElementContext context)
    {
        var reply = context.Reply.Prepare(frame.Length, frame.TimestampMicros, frame.Direction);
        frame.Data.CopyTo(reply);
        frame.Data[6..12].CopyTo(reply);
        frame.Data[..6].CopyTo(reply[6..]);
        return Verdict.Reply;
    }
}
