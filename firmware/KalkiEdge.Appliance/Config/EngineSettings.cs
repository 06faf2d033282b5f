using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Appliance.Config;

/// <summary>
/// Site config <c>engine: { threads: N }</c>: how many engine threads a replay of a capture spreads devices over
/// (1 to 64; absent: the machine's processors, at most 4, the cores of a Raspberry Pi 4). Output is the same for every N.
/// The live bridge is not sharded: it already runs one capture thread per port, and a hand-off to another thread
/// would add a wake-up to every frame's latency.
/// </summary>
public static class EngineSettings
{
    public const string Section = "engine";

    public const int MaxThreads = 64;

    /// <summary>The default: one thread per processor, at most 4.</summary>
    public static int DefaultThreads => Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>The section's thread count (absent: <see cref="DefaultThreads"/>); errors, with their place, go to <paramref name="diagnostics"/>.</summary>
    public static int ReadThreads(IReadOnlyDictionary<string, ArgNode> sections, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(sections);
        if (!sections.TryGetValue(Section, out var node) || ConfigSection.Args(Section, node, diagnostics) is not { } a)
        {
            return DefaultThreads;
        }

        var threads = (int)a.Int("threads", DefaultThreads, 1, MaxThreads);
        a.RejectUnknown();
        return threads;
    }
}
