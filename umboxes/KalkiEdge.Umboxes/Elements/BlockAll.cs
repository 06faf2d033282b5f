using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Drops everything. The fail-closed defense: a device whose chain cannot be built gets this one.</summary>
public sealed class BlockAll : Element
{
    public override bool DropsAll => true;

    public static IElementSpec Compile(ElementArgs args) => new ElementSpec<int>("block-all", 0, static _ => new BlockAll());

    public override Verdict Process(Frame frame, ElementContext context) => Verdict.Drop;
}

/// <summary>Forwards everything; a measurable no-op.</summary>
public sealed class Pass : Element
{
    public static IElementSpec Compile(ElementArgs args) => new ElementSpec<int>("pass", 0, static _ => new Pass());

    public override Verdict Process(Frame frame, ElementContext context) => Verdict.Forward;
}
