using KalkiEdge.Bench.Suites;

namespace KalkiEdge.Bench;

/// <summary>Every benchmark suite, in the order `make bench` runs them.</summary>
public static class BenchSuites
{
    public static IReadOnlyList<IBenchSuite> All { get; } =
    [
        new EngineThroughputSuite(),
        new EngineThreadsSuite(),
        new ReactionSuite(),
        new IpsStreamSuite(),
        new NormalChainsSuite(),
        new MemorySuite(),
        new StartSuite(),
        new ChainFootprintSuite(),
        new SigningSuite(),
        new EveSuite(),
        new FleetSuite(),
        new DashboardSuite(),
        new PanelSuite(),
        new KineticSuite(),
        new LiveBridgeSuite(),
    ];
}
