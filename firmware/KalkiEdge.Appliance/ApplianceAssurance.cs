using KalkiEdge.Assurance;
using KalkiEdge.Assurance.Attestation;
using KalkiEdge.Assurance.Manifest;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Appliance;

/// <summary>
/// High assurance for every run mode (replay, simulation, live, idle): when the site config has a
/// <c>hypervisor</c> or <c>signing</c> section, open the shim, verify the manifest (refusing to start on a bad
/// signature), attest every image chain in force (fail-closed on mismatch) and build the signing stage. Without
/// either section, says loudly that both are off.
/// </summary>
public sealed class ApplianceAssurance : IDisposable
{
    private ApplianceAssurance(AssuranceServices? services, SigningStage? signing)
    {
        Services = services;
        Signing = signing;
    }

    public AssuranceServices? Services { get; }

    /// <summary>The stage that signs frames leaving a chain (the replay runner's and the simulation's); null when signing is off.</summary>
    public SigningStage? Signing { get; }

    /// <summary>Null after printing why to <paramref name="log"/> (config error, bad manifest, shim unavailable).</summary>
    public static ApplianceAssurance? Start(EdgeAppliance appliance, IFrameSink? egress, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        ArgumentNullException.ThrowIfNull(log);
        var sections = appliance.Config.Sections;
        if (!sections.ContainsKey(HypervisorSettings.Section) && !sections.ContainsKey(SigningOptions.Section))
        {
            log.WriteLine(SigningOptions.OffWarning);
            log.WriteLine("WARNING: image attestation is OFF (no 'hypervisor' section): μmbox images are not checked against the signed manifest");
            return new ApplianceAssurance(null, null);
        }

        var diagnostics = new DiagnosticBag();
        AssuranceServices? services;
        try
        {
            services = AssuranceServices.Start(sections, Path.Combine(appliance.Config.UmboxesDir, "manifest"), diagnostics, log);
        }
        catch (Exception e) when (e is ManifestException or HypervisorShimException or DllNotFoundException)
        {
            log.WriteLine($"kalki-edge: {e.Message}");
            return null;
        }

        if (services is null)
        {
            foreach (var d in diagnostics.Items)
            {
                log.WriteLine(d);
            }

            return null;
        }

        var failClosed = appliance.Compiler.Compile("block-all", SourceSpan.None("(fail-closed)"), diagnostics, "block-all")!;
        LoadAttestation.Apply(services.Attestor, appliance.Engine.Devices.All, failClosed, appliance.Alerts);
        appliance.UseAttestor(services.Attestor);
        appliance.EndFrame(); // hand attestation-failure alerts to the control plane and observers now
        var signing = services.Signing.Mode == SigningMode.Off ? null : services.CreateSigningStage(egress, appliance.Alerts);
        return new ApplianceAssurance(services, signing);
    }

    public void Dispose()
    {
        Signing?.Dispose();
        Services?.Dispose();
    }
}
