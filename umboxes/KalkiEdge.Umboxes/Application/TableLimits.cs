using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Application;

/// <summary>Keeps the memory a configuration can ask for within what a Pi can give.</summary>
internal static class TableLimits
{
    /// <summary>At most this many remembered event times per element instance (32 MB).</summary>
    public const long MaxRememberedEvents = 4L << 20;

    /// <summary>Reports an error when sources × events-per-source exceeds <see cref="MaxRememberedEvents"/>.</summary>
    public static void CheckEventMemory(ElementArgs args, int sources, long perSource, string what)
    {
        if ((long)sources * perSource > MaxRememberedEvents)
        {
            args.Error(args.At, $"max-sources ({sources}) x {what} ({perSource}) exceeds {MaxRememberedEvents} remembered events; lower one of them");
        }
    }
}
