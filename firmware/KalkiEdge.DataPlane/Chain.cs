namespace KalkiEdge.DataPlane;

/// <summary>
/// A device's running defense: element instances in order. A chain is immutable once built; changing a
/// device's defense means building a new chain and swapping it in whole (see <see cref="DeviceSlot.Swap"/>).
/// </summary>
public sealed class Chain
{
    internal Chain(ChainDefinition definition, Element[] elements)
    {
        Definition = definition;
        Elements = elements;
        DropsAll = elements.Length > 0 && elements[0].DropsAll;
    }

    public ChainDefinition Definition { get; }

    public IReadOnlyList<Element> Elements { get; }

    /// <summary>The first element drops everything: the engine need not decode the frame.</summary>
    public bool DropsAll { get; }

    public Verdict Process(Frame frame, ElementContext context)
    {
        context.CurrentFrame = frame;
        var verdict = RunElements(frame, context);
        context.ReleaseAlerts(verdict);
        return verdict;
    }

    private Verdict RunElements(Frame frame, ElementContext context)
    {
        var elements = (Element[])Elements;
        for (int i = 0; i < elements.Length; i++)
        {
            var e = elements[i];
            context.Current = e;
            e.Counters.Received++;
            var verdict = e.Process(frame, context);
            switch (verdict)
            {
                case Verdict.Forward:
                    e.Counters.Forwarded++;
                    continue;
                case Verdict.Drop:
                    e.Counters.Dropped++;
                    return verdict;
                default:
                    e.Counters.Replied++;
                    return verdict;
            }
        }

        return Verdict.Forward;
    }
}

/// <summary>
/// A validated chain: its source text, the element specs in order, the image it came from (if any) and every
/// file its elements loaded (for attestation). Instantiate once per device per deployment.
/// </summary>
public sealed class ChainDefinition(string text, IReadOnlyList<IElementSpec> specs, IReadOnlyList<LoadedFile> files, string? image = null)
{
    public string Text { get; } = text;

    public IReadOnlyList<IElementSpec> Specs { get; } = specs;

    public IReadOnlyList<LoadedFile> Files { get; } = files;

    public string? Image { get; } = image;

    public Chain Instantiate()
    {
        var elements = new Element[Specs.Count];
        for (int i = 0; i < elements.Length; i++)
        {
            elements[i] = Specs[i].CreateInstance();
            elements[i].Name = Specs[i].Name;
        }

        return new Chain(this, elements);
    }

    public ChainDefinition WithImage(string image) => new(Text, Specs, Files, image);
}

/// <summary>A file an element loaded while its chain was built (path relative to the resource root, and bytes).</summary>
public sealed record LoadedFile(string Name, string FullPath, byte[] Content);
