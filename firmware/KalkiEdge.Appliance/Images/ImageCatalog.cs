using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Appliance.Images;

/// <summary>A μmbox image: a named, versioned chain definition and the files it loads (umboxes/images/*.yaml).</summary>
public sealed record UmboxImage(string Name, int Version, string Description, string File, ChainDefinition Chain);

/// <summary>
/// Every μmbox image of an umboxes directory, compiled and validated up front so a deployment can never meet
/// an image that does not build. Errors from all files are reported together.
/// </summary>
public sealed class ImageCatalog
{
    private readonly Dictionary<string, UmboxImage> _images;

    private ImageCatalog(Dictionary<string, UmboxImage> images) => _images = images;

    public IReadOnlyCollection<UmboxImage> All => _images.Values;

    public bool TryGet(string name, out UmboxImage image) => _images.TryGetValue(name, out image!);

    public static ImageCatalog Load(string imagesDir, ChainCompiler compiler, DiagnosticBag diagnostics)
    {
        var images = new Dictionary<string, UmboxImage>(StringComparer.Ordinal);
        if (!Directory.Exists(imagesDir))
        {
            diagnostics.Error(SourceSpan.None(imagesDir), "μmbox images directory does not exist");
            return new ImageCatalog(images);
        }

        foreach (var file in Directory.EnumerateFiles(imagesDir, "*.yaml").Order(StringComparer.Ordinal))
        {
            if (LoadOne(file, compiler, diagnostics) is { } image && !images.TryAdd(image.Name, image))
            {
                diagnostics.Error(SourceSpan.None(file), $"image name '{image.Name}' is also defined in {images[image.Name].File}");
            }
        }

        return new ImageCatalog(images);
    }

    private static UmboxImage? LoadOne(string file, ChainCompiler compiler, DiagnosticBag diagnostics)
    {
        var root = YamlArgs.LoadFile(file, diagnostics);
        if (root is null)
        {
            return null;
        }

        var args = new ElementArgs("image", root.At, root.Entries, diagnostics, NoResources.Instance);
        var name = args.String("name", "");
        var version = (int)args.Int("version", 1, 1, int.MaxValue);
        var description = args.String("description", "");
        var chainNode = args.Required("chain");
        args.RejectUnknown();
        if (name.Length == 0)
        {
            diagnostics.Error(root.At, "image: missing 'name'");
            return null;
        }

        var expected = Path.GetFileNameWithoutExtension(file);
        if (name != expected)
        {
            diagnostics.Error(root.At, $"image '{name}' must live in {name}.yaml (found in {expected}.yaml) so names stay unique");
        }

        if (chainNode is null || args.ScalarText(chainNode) is not { } text)
        {
            return null;
        }

        var chain = compiler.Compile(text, chainNode.At, diagnostics, name);
        return chain is null ? null : new UmboxImage(name, version, description, file, chain);
    }
}
