using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Output;
using KalkiEdge.Assurance;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.Management;
using KalkiEdge.Panel;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// kalki-edge check: validates everything the config uses — devices, images, rules, packs, and the sections other
/// modules own (interfaces, hypervisor, signing, management, panel) — and reports every error with file and line.
/// </summary>
internal static class CheckCommand
{
    public static int Execute(CommandLine cl)
    {
        var path = cl.Option("--config");
        if (path is null)
        {
            Console.Error.WriteLine("kalki-edge check: --config FILE is required");
            return ExitCodes.Usage;
        }

        var sections = SectionErrors(path);
        var appliance = ApplianceLoader.Load(path, new ConsoleObserver(TextWriter.Null));
        foreach (var d in sections)
        {
            Console.Error.WriteLine(d);
        }

        if (appliance is null || sections.Count > 0)
        {
            return ExitCodes.Invalid;
        }

        Console.WriteLine($"{path}: ok — {appliance.Engine.Devices.Count} devices, {appliance.Images.All.Count} μmbox images, {appliance.Packs.Count} packs, {appliance.Compiler.Registry.Kinds.Count()} element kinds");
        return ExitCodes.Ok;
    }

    /// <summary>Errors in the module-owned sections, which the appliance itself reads only when it runs.</summary>
    private static IReadOnlyList<Diagnostic> SectionErrors(string path)
    {
        var loading = new DiagnosticBag();
        var config = SiteConfigLoader.Load(path, loading);
        if (config is null)
        {
            return []; // the loader's own errors are reported by ApplianceLoader
        }

        var diagnostics = new DiagnosticBag();
        var s = config.Sections;
        if (s.TryGetValue("interfaces", out var interfaces))
        {
            InterfacesConfig.Parse(interfaces, diagnostics);
        }

        HypervisorSettings.FromSection(s.GetValueOrDefault(HypervisorSettings.Section), diagnostics);
        SigningOptions.FromSection(s.GetValueOrDefault(SigningOptions.Section), diagnostics);
        ManagementSettings.Read(s, diagnostics);
        PanelSettings.Read(s, diagnostics);
        return diagnostics.Items;
    }
}
