using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance;

/// <summary>Site config <c>hypervisor: { backend: auto|emulated|uxmhf, key: PATH, allow-hypercalls: false, device: PATH }</c>.</summary>
public static class HypervisorSettings
{
    public const string Section = "hypervisor";

    /// <summary>Reads the section (absent = auto, no hypercalls, default key file); errors go to <paramref name="diagnostics"/>.</summary>
    public static HypervisorShimOptions FromSection(ArgNode? section, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        if (section is null || ConfigSection.Args(Section, section, diagnostics) is not { } args)
        {
            return new HypervisorShimOptions();
        }

        var backend = args.Choice("backend", "auto", "auto", "emulated", "uxmhf") switch
        {
            "emulated" => HypervisorBackendRequest.Emulated,
            "uxmhf" => HypervisorBackendRequest.UberXmhf,
            _ => HypervisorBackendRequest.Auto,
        };
        var key = args.Path("key", null) is { } keyPath ? Resolve(keyPath, section.At.File) : null;
        var device = args.Path("device", null);
        var allow = args.Bool("allow-hypercalls", false);
        args.RejectUnknown();
        return new HypervisorShimOptions { Backend = backend, KeyPath = key, DevicePath = device, AllowHypercalls = allow };
    }

    // A relative key path is relative to the config file, like every other path in it.
    private static string Resolve(string path, string configFile) =>
        Path.IsPathRooted(path) || string.IsNullOrEmpty(configFile) ? path : Path.GetFullPath(path, Path.GetDirectoryName(Path.GetFullPath(configFile))!);
}
