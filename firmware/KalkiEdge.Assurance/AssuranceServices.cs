using KalkiEdge.Assurance.Attestation;
using KalkiEdge.Assurance.Manifest;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance;

/// <summary>
/// Start-up of the high-assurance services from the site config's <c>hypervisor</c> and <c>signing</c> sections:
/// open the shim, verify the manifest signature once (refusing to start on a bad one), and hand out the
/// attestor and signing stages. Logs the backend in use and a loud warning when signing is off.
/// </summary>
public sealed class AssuranceServices : IDisposable
{
    private AssuranceServices(IHypervisor hypervisor, ImageAttestor attestor, SigningOptions signing)
    {
        Hypervisor = hypervisor;
        Attestor = attestor;
        Signing = signing;
    }

    public IHypervisor Hypervisor { get; }

    public ImageAttestor Attestor { get; }

    public SigningOptions Signing { get; }

    public ChainMeasurements Measurements => Attestor.Measurements;

    /// <summary>
    /// Throws <see cref="ManifestException"/> (bad or missing manifest signature) or
    /// <see cref="HypervisorShimException"/> (shim cannot open); returns null after config errors in <paramref name="diagnostics"/>.
    /// </summary>
    public static AssuranceServices? Start(IReadOnlyDictionary<string, ArgNode> sections, string manifestDirectory, DiagnosticBag diagnostics, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(log);
        var shimOptions = HypervisorSettings.FromSection(sections.GetValueOrDefault(HypervisorSettings.Section), diagnostics);
        var signing = SigningOptions.FromSection(sections.GetValueOrDefault(SigningOptions.Section), diagnostics);
        if (diagnostics.HasErrors)
        {
            return null;
        }

        var manifest = SignedManifest.Load(manifestDirectory);
        var hypervisor = HypervisorShim.Open(shimOptions);
        try
        {
            hypervisor.SelfTest();
        }
        catch
        {
            hypervisor.Dispose();
            throw;
        }

        log.WriteLine($"kalki-edge: hypervisor: {hypervisor.Description}");
        log.WriteLine($"kalki-edge: image manifest verified: {manifest.Entries.Count} allowed image measurement(s)");
        log.WriteLine(signing.Mode == SigningMode.Off
            ? SigningOptions.OffWarning
            : $"kalki-edge: packet signing: {ModeName(signing.Mode)}{signing.Mode switch
            {
                SigningMode.Batched => $" (up to {signing.BatchSize} frames per shim call)",
                SigningMode.Epoch => $" ({EpochMacs.Name(signing.Mac)} per frame under a key per device and chain epoch, a signed root per {BatchLayout.MaxTags} frames)",
                _ => "",
            }}");
        return new AssuranceServices(hypervisor, new ImageAttestor(hypervisor, manifest), signing);
    }

    /// <summary>A signing stage for one processing thread, releasing verified frames to <paramref name="egress"/>.</summary>
    public SigningStage CreateSigningStage(IFrameSink? egress, IAlertSink alerts) =>
        new(Hypervisor, Signing, egress, alerts, Measurements);

    public static string ModeName(SigningMode mode) => mode switch
    {
        SigningMode.PerFrame => "per-frame",
        SigningMode.Batched => "batched",
        SigningMode.Epoch => "epoch",
        _ => "off",
    };

    public void Dispose() => Hypervisor.Dispose();
}
