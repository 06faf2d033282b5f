using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Warmup;
using KalkiEdge.Core;
using System.Runtime.CompilerServices;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// Runs <see cref="ApplianceWarmup"/> before the live bridge starts, and says so; loudly when it could not do all of it.
/// Under NativeAOT only the store's first write: there is no JIT for the scenario to warm.
/// </summary>
internal static class Warmup
{
    public static void Run(EdgeAppliance appliance, string start)
    {
        if (!RuntimeFeature.IsDynamicCodeCompiled)
        {
            Report(ApplianceWarmup.StoreOnly(appliance, start));
            return;
        }

        var diagnostics = new DiagnosticBag();
        var profile = SiteConfigLoader.Load(ApplianceLoader.SimulationProfile, diagnostics);
        if (profile is null || diagnostics.HasErrors)
        {
            Console.WriteLine($"WARNING: no warm-up (the simulation profile did not load: {diagnostics}): the first reaction will be slower");
            return;
        }

        Report(ApplianceWarmup.Run(appliance, profile, start));
    }

    private static void Report(WarmupReport report)
    {
        foreach (var problem in report.Problems)
        {
            // Never silent: a run without warm-up pays tens of milliseconds on its first reaction.
            Console.WriteLine($"WARNING: warm-up incomplete: {problem}: the first reaction will be slower");
        }

        Console.WriteLine($"kalki-edge: warmed up the data and control planes: {report}");
    }
}
