using KalkiEdge.Appliance.Config;
using KalkiEdge.Core;

namespace KalkiEdge.Host.Commands;

/// <summary>Loads a site config (or the built-in simulation profile) and builds the appliance, printing every error.</summary>
internal static class ApplianceLoader
{
    public static string SimulationProfile => Path.Combine(AppContext.BaseDirectory, "profiles", "simulation.yaml");

    public static Appliance.Appliance? Load(string? configPath, IApplianceObserver observer, bool persist = false)
    {
        var path = configPath ?? SimulationProfile;
        var diagnostics = new DiagnosticBag();
        var config = SiteConfigLoader.Load(path, diagnostics);
        var appliance = config is null ? null : Appliance.Appliance.Build(config, diagnostics, observer, persist);
        foreach (var d in diagnostics.Items)
        {
            Console.Error.WriteLine(d);
        }

        if (appliance is null)
        {
            Console.Error.WriteLine($"kalki-edge: {diagnostics.Items.Count} error(s) in {path} and the files it uses");
        }

        return appliance;
    }
}
