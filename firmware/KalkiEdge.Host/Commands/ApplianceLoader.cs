using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Core;

namespace KalkiEdge.Host.Commands;

/// <summary>Loads a site config (or the built-in simulation profile) and builds the appliance, printing every error.</summary>
internal static class ApplianceLoader
{
    public static string SimulationProfile => Path.Combine(AppContext.BaseDirectory, "profiles", "simulation.yaml");

    /// <summary>
    /// Parsing and validating a large site (10,000 devices: ~70 MB of short-lived YAML events, argument maps and
    /// messages) leaves the heap grown far beyond what the appliance keeps. One compacting collection once the
    /// appliance is built returns that memory to the system before any traffic; without it the process stays tens
    /// of megabytes larger for its whole life. Once per start, never on the frame path.
    /// </summary>
    private static void ReleaseStartupGarbage() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <param name="dataDir">Where the store goes instead of the config's data-dir (the simulation's throwaway directory).</param>
    public static EdgeAppliance? Load(string? configPath, IApplianceObserver observer, bool persist = false, string? dataDir = null)
    {
        var diagnostics = new DiagnosticBag();
        var appliance = Build(configPath, observer, diagnostics, persist, dataDir);
        foreach (var d in diagnostics.Items)
        {
            Console.Error.WriteLine(d);
        }

        if (appliance is null)
        {
            Console.Error.WriteLine($"kalki-edge: {diagnostics.Items.Count} error(s) in {configPath ?? SimulationProfile} and the files it uses");
            return null;
        }

        ReleaseStartupGarbage();
        return appliance;
    }

    /// <summary>Builds the appliance, leaving every error in <paramref name="diagnostics"/> for the caller to report.</summary>
    public static EdgeAppliance? Build(string? configPath, IApplianceObserver observer, DiagnosticBag diagnostics, bool persist = false, string? dataDir = null)
    {
        // Null on any error, the config's own included: the build never returns half a configuration.
        var config = SiteConfigLoader.Load(configPath ?? SimulationProfile, diagnostics);
        if (config is not null && dataDir is not null)
        {
            config = config.WithDataDir(dataDir);
        }

        return config is null ? null : EdgeAppliance.Build(config, diagnostics, observer, persist);
    }
}
