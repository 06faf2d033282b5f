using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.ControlPlane;

/// <summary>
/// Puts a device's defense in force: attest the image, take a fresh chain instance (make), then swap it in
/// atomically (break). The device always has a chain: when the new one cannot be built or fails attestation, the
/// fail-closed block-all chain goes in instead and the caller raises an alert saying why.
/// Instantiating a chain allocates its elements' tables, which costs far more than the rest of a reaction, so a
/// few ready instances of each image in use are kept (<see cref="SparesPerImage"/>) and replenished by
/// <see cref="Replenish"/> after the reaction, off its critical path. A spare is indistinguishable from a new
/// instance: element state only grows once frames flow through it.
/// </summary>
public sealed class ChainDeployer(IImageSource images, ChainDefinition failClosed, IImageAttestor? attestor = null)
{
    public const string FailClosedImage = "block-all";

    private readonly IImageAttestor _attestor = attestor ?? new PassThroughAttestor();
    private readonly Dictionary<string, (ChainDefinition? Definition, string Error)> _compiled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Stack<Chain>> _spares = new(StringComparer.Ordinal);

    /// <summary>Ready instances kept per image (0 disables the pool).</summary>
    public int SparesPerImage { get; init; } = 2;

    /// <summary>Deployments served from a ready instance.</summary>
    public long SpareHits { get; private set; }

    /// <summary>Tops up the ready instances of every image deployed so far.</summary>
    public void Replenish()
    {
        lock (_compiled)
        {
            foreach (var (image, (definition, _)) in _compiled)
            {
                if (definition is null)
                {
                    continue;
                }

                if (!_spares.TryGetValue(image, out var stack))
                {
                    _spares[image] = stack = new Stack<Chain>(SparesPerImage);
                }

                while (stack.Count < SparesPerImage)
                {
                    stack.Push(definition.Instantiate());
                }
            }
        }
    }

    /// <param name="overlay">The device's own change to the image's chain, applied after attestation; its chains are never spares.</param>
    public DeploymentResult Deploy(DeviceSlot slot, string image, IChainOverlay? overlay = null)
    {
        var (definition, error) = CompileOnce(image);
        string? alertType = AlertTypes.ChainFailure;
        if (definition is not null)
        {
            if (_attestor.Attest(image, definition, out var reason))
            {
                Chain chain;
                try
                {
                    definition = overlay?.Apply(definition) ?? definition;
                    chain = (overlay is null ? TakeSpare(image) : null) ?? definition.Instantiate();
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException)
                {
                    return FailClosed(slot, image, $"image '{image}' could not be instantiated: {e.Message}", alertType);
                }

                slot.Swap(chain);
                return new DeploymentResult(image, definition.Text, false, null, null);
            }

            error = $"image '{image}' failed attestation: {reason}";
            alertType = AlertTypes.AttestationFailure;
        }

        return FailClosed(slot, image, error, alertType);
    }

    private DeploymentResult FailClosed(DeviceSlot slot, string image, string error, string alertType)
    {
        slot.Swap(failClosed.Instantiate());
        return new DeploymentResult(FailClosedImage, failClosed.Text, true, $"{error}; device {slot.Name} is fail-closed (block-all) instead of '{image}'", alertType);
    }

    /// <summary>Compiles an image ahead of its first deployment.</summary>
    public bool Prepare(string image) => CompileOnce(image).Item1 is not null;

    private Chain? TakeSpare(string image)
    {
        lock (_compiled)
        {
            if (_spares.TryGetValue(image, out var stack) && stack.TryPop(out var chain))
            {
                SpareHits++;
                return chain;
            }

            return null;
        }
    }

    /// <summary>Images are immutable while running: compile each once, instantiate per device.</summary>
    private (ChainDefinition?, string) CompileOnce(string image)
    {
        lock (_compiled)
        {
            if (!_compiled.TryGetValue(image, out var entry))
            {
                var diagnostics = new DiagnosticBag();
                var definition = images.ChainText(image) is null ? null : images.Compile(image, diagnostics);
                var error = images.ChainText(image) is null ? $"image '{image}' does not exist" : $"image '{image}' does not build: {diagnostics}";
                entry = (definition, definition is null ? error : "");
                _compiled[image] = entry;
            }

            return entry;
        }
    }
}
