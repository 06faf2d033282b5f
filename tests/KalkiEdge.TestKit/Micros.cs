namespace KalkiEdge.TestKit;

/// <summary>Time in microseconds, the unit of frame timestamps and of the control clock.</summary>
public static class Micros
{
    public const long Second = 1_000_000;
}
