namespace KalkiEdge.UnitTests.Fuzz;

/// <summary>
/// One parser under fuzzing: its seed inputs and what it does with one input. <see cref="Run"/> must return
/// normally for any input; exceptions the parser documents as its way of refusing input are caught inside it, so
/// anything that escapes is a crash.
/// </summary>
public sealed record FuzzTarget(string Name, Func<IReadOnlyList<byte[]>> Seeds, Action<byte[]> Run)
{
    public override string ToString() => Name;
}
