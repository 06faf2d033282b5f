using System.Buffers;
using System.Text;
using System.Text.Json;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Output;
using KalkiEdge.Assurance;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Fleet;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.Export.Eve;

using KalkiEdge.Management;
using KalkiEdge.Panel;
using KalkiEdge.Umboxes.Ips;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// kalki-edge check: validates everything the config uses — devices, images, rules, packs, and the sections other
/// modules own (interfaces, hypervisor, signing, management, panel) — and reports every error with file and line, as
/// text on stderr or (--json) as one JSON object on stdout.
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

        var diagnostics = new DiagnosticBag();
        using var appliance = ApplianceLoader.Build(path, new ConsoleObserver(TextWriter.Null), diagnostics);
        diagnostics.AddRange(SectionErrors(path));
        var valid = appliance is not null && !diagnostics.HasErrors ? appliance : null;
        var rules = valid is not null && cl.Flag("--rules") ? IpsRules(valid) : null;
        if (cl.Flag("--json"))
        {
            Console.WriteLine(Json(path, diagnostics.Items, valid, rules));
        }
        else if (valid is not null)
        {
            Console.WriteLine($"{path}: ok — {valid.Engine.Devices.Count} devices, {valid.Images.All.Count} μmbox images, {valid.Packs.Count} packs, {valid.Compiler.Registry.Kinds.Count()} element kinds");
            if (rules is not null)
            {
                Console.WriteLine($"ips rules: {rules.Count} ({rules.Count(r => r.Inspection == RuleInspectionReport.Stream)} stream, {rules.Count(r => r.Inspection == RuleInspectionReport.Packet)} packet)");
                foreach (var r in rules)
                {
                    Console.WriteLine($"  sid {r.Sid,-9} {r.Inspection,-6}  {r.Origin}  {r.Message}");
                }
            }
        }
        else
        {
            foreach (var d in diagnostics.Items)
            {
                Console.Error.WriteLine(d);
            }

            Console.Error.WriteLine($"kalki-edge: {diagnostics.Items.Count} error(s) in {path} and the files it uses");
        }

        return valid is not null ? ExitCodes.Ok : ExitCodes.Invalid;
    }

    /// <summary>Every ips rule the images and the devices' chains load, with its inspection mode.</summary>
    private static IReadOnlyList<InspectedRule> IpsRules(EdgeAppliance appliance) =>
        RuleInspectionReport.Of(appliance.Images.All.Select(i => i.Chain)
            .Concat(appliance.Engine.Devices.All.Select(d => d.Chain?.Definition).OfType<ChainDefinition>()));

    /// <summary>Errors in the module-owned sections, which the appliance itself reads only when it runs.</summary>
    private static DiagnosticBag SectionErrors(string path)
    {
        var diagnostics = new DiagnosticBag();
        var config = SiteConfigLoader.Load(path, new DiagnosticBag()); // its own errors are reported by the build
        if (config is null)
        {
            return diagnostics;
        }

        var s = config.Sections;
        if (s.TryGetValue("interfaces", out var interfaces))
        {
            var parsed = InterfacesConfig.Parse(interfaces, diagnostics);
            parsed?.DeviceAddress?.CheckReach(config.Devices.Select(d => (d.Name, d.Ips)), diagnostics);
            if (parsed is not null && parsed.DeviceAddress is null && config.Devices.Any(d => d.Monitor is not null))
            {
                diagnostics.Error(interfaces.At, $"interfaces: {LiveRunCommand.MonitorsNeedDeviceAddress}");
            }
        }

        HypervisorSettings.FromSection(s.GetValueOrDefault(HypervisorSettings.Section), diagnostics);
        SigningOptions.FromSection(s.GetValueOrDefault(SigningOptions.Section), diagnostics);
        ManagementSettings.Read(s, diagnostics, config.DataDir);
        OwnListeners.Check(config, diagnostics);
        PanelSettings.Read(s, diagnostics);
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        EveSettings.FromSection(s.GetValueOrDefault(EveSettings.Section), baseDir, diagnostics);
        FleetSettings.FromSection(s.GetValueOrDefault(FleetSettings.Section), baseDir, diagnostics);
        return diagnostics;
    }

    /// <summary>The check --json document (docs/cli.md): every diagnostic with its place, and the totals when valid.</summary>
    private static string Json(string path, IReadOnlyList<Diagnostic> diagnostics, EdgeAppliance? valid, IReadOnlyList<InspectedRule>? rules)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("config", path);
            w.WriteBoolean("ok", valid is not null);
            w.WriteStartArray("diagnostics");
            foreach (var d in diagnostics)
            {
                w.WriteStartObject();
                w.WriteString("file", d.File);
                w.WriteNumber("line", d.Line);
                w.WriteNumber("column", d.Column);
                w.WriteString("severity", "error"); // every diagnostic refuses the configuration
                w.WriteString("message", d.Message);
                if (d.Suggestion is { } suggestion)
                {
                    w.WriteString("suggestion", suggestion);
                }
                else
                {
                    w.WriteNull("suggestion");
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (valid is not null)
            {
                w.WriteNumber("devices", valid.Engine.Devices.Count);
                w.WriteNumber("images", valid.Images.All.Count);
                w.WriteNumber("packs", valid.Packs.Count);
                w.WriteNumber("elementKinds", valid.Compiler.Registry.Kinds.Count());
            }

            if (rules is not null)
            {
                w.WriteStartArray("rules");
                foreach (var r in rules)
                {
                    w.WriteStartObject();
                    w.WriteNumber("sid", r.Sid);
                    w.WriteString("origin", r.Origin);
                    w.WriteString("msg", r.Message);
                    w.WriteString("inspection", r.Inspection);
                    w.WriteString("action", r.Action);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
