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
    public static Appliance.Appliance? Load(string? configPath, IApplianceObserver observer, bool persist = false, string? dataDir = null)
    {
        var path = configPath ?? SimulationProfile;
        var diagnostics = new DiagnosticBag();
        var config = SiteConfigLoader.Load(path, diagnostics);
        if (config is not null && dataDir is not null)
        {
            config = config.WithDataDir(dataDir);
        }

        var appliance = config is null ? null : Appliance.Appliance.Build(config, diagnostics, observer, persist);
        foreach (var d in diagnostics.Items)
        {
            Console.Error.WriteLine(d);
        }

        if (appliance is null)
        {
            Console.Error.WriteLine($"kalki-edge: {diagnostics.Items.Count} error(s) in {path} and the files it uses");
            return null;
        }

        ReleaseStartupGarbage();
        return appliance;
    }
}
