using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.ControlPlane;

/// <summary>μmbox images by name (implemented over the image catalog).</summary>
public interface IImageSource
{
    /// <summary>The image's chain text, or null when there is no such image.</summary>
    string? ChainText(string image);

    /// <summary>Compiles the image's chain, or returns null after reporting why.</summary>
    ChainDefinition? Compile(string image, DiagnosticBag diagnostics);
}
