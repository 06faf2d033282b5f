namespace KalkiEdge.Panel.Mud;

/// <summary>A MUD file or its fetch refused: the message says which URL or file, where in it (a JSON path) and why.</summary>
public sealed class MudException : Exception
{
    public MudException()
        : base("MUD file refused")
    {
    }

    public MudException(string message)
        : base(message)
    {
    }

    public MudException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
