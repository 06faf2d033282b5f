using System.Text;
using KalkiEdge.Appliance.Images;
using KalkiEdge.Assurance.Manifest;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes;

namespace KalkiEdge.ManifestTool;

/// <summary>
/// kalki-manifest measure|sign|verify [--umboxes DIR] [--key PEM]: computes image measurements, writes and signs
/// umboxes/manifest/manifest.json (+ manifest.sig, + the matching public key), or checks them.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("measure" or "sign" or "verify"))
        {
            Console.Error.WriteLine("usage: kalki-manifest measure|sign|verify [--umboxes DIR] [--key PRIVATE-KEY.pem]");
            Console.Error.WriteLine($"  sign uses --key, else ${DevSigningKey.EnvironmentVariable}, else a developer key created on first use at {DevSigningKey.DefaultPath()}");
            return 2;
        }

        var umboxes = Option(args, "--umboxes") ?? "umboxes";
        var manifestDir = Path.Combine(umboxes, "manifest");
        try
        {
            var images = LoadImages(umboxes);
            if (images is null)
            {
                return 1;
            }

            var manifest = new ImageManifest(images.Select(i => new ManifestEntry(i.Name, i.Version, ImageMeasurer.Measure(i.Name, i.Version, i.Chain))));
            return args[0] switch
            {
                "measure" => Measure(manifest),
                "sign" => Sign(manifest, manifestDir, Option(args, "--key") ?? DevSigningKey.DefaultPath()),
                _ => Verify(manifest, manifestDir),
            };
        }
        catch (ManifestException e)
        {
            Console.Error.WriteLine($"kalki-manifest: {e.Message}");
            return 1;
        }
    }

    private static List<UmboxImage>? LoadImages(string umboxes)
    {
        if (!Directory.Exists(Path.Combine(umboxes, "images")))
        {
            Console.WriteLine($"kalki-manifest: {umboxes}/images does not exist: no images to measure");
            return [];
        }

        var diagnostics = new DiagnosticBag();
        var compiler = new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(Path.Combine(umboxes, "rules")));
        var catalog = ImageCatalog.Load(Path.Combine(umboxes, "images"), compiler, diagnostics);
        foreach (var d in diagnostics.Items)
        {
            Console.Error.WriteLine(d);
        }

        return diagnostics.HasErrors ? null : [.. catalog.All.OrderBy(i => i.Name, StringComparer.Ordinal)];
    }

    private static int Measure(ImageManifest manifest)
    {
        foreach (var e in manifest.Entries)
        {
            Console.WriteLine($"{e.Measurement}  {e.Name} v{e.Version}");
        }

        return 0;
    }

    private static int Sign(ImageManifest manifest, string manifestDir, string keyPath)
    {
        using var key = DevSigningKey.LoadOrCreate(keyPath, out var created);
        if (created)
        {
            Console.WriteLine($"kalki-manifest: created a new developer signing key at {keyPath} (private: never commit it)");
        }

        Directory.CreateDirectory(manifestDir);
        var json = manifest.ToJson();
        File.WriteAllBytes(Path.Combine(manifestDir, SignedManifest.ManifestFile), json);
        File.WriteAllText(Path.Combine(manifestDir, SignedManifest.SignatureFile), Convert.ToBase64String(SignedManifest.Sign(json, key)) + "\n", Encoding.ASCII);

        var publicPath = Path.Combine(manifestDir, SignedManifest.PublicKeyFile);
        var publicPem = key.ExportSubjectPublicKeyInfoPem() + "\n";
        var changed = !File.Exists(publicPath) || File.ReadAllText(publicPath) != publicPem;
        if (changed)
        {
            File.WriteAllText(publicPath, publicPem, Encoding.ASCII);
            Console.WriteLine($"kalki-manifest: {publicPath} now holds this key's public half (fingerprint {SignedManifest.Fingerprint(key)}): rebuild the firmware so it trusts it");
        }

        Console.WriteLine($"kalki-manifest: signed {manifest.Entries.Count} image(s) into {manifestDir} with key {SignedManifest.Fingerprint(key)}");
        return 0;
    }

    private static int Verify(ImageManifest current, string manifestDir)
    {
        var publicPath = Path.Combine(manifestDir, SignedManifest.PublicKeyFile);
        using var key = SignedManifest.ImportPublicKey(File.ReadAllText(publicPath), publicPath);
        var signed = SignedManifest.Load(Path.Combine(manifestDir, SignedManifest.ManifestFile), Path.Combine(manifestDir, SignedManifest.SignatureFile), key);
        var stale = current.Entries.Where(e => !signed.For(e.Name).Any(s => s.Version == e.Version && s.Measurement == e.Measurement)).ToList();
        foreach (var e in stale)
        {
            Console.Error.WriteLine($"kalki-manifest: image {e.Name} v{e.Version} measures {e.Measurement}, which the signed manifest does not list: run `make sign-manifest`");
        }

        Console.WriteLine($"kalki-manifest: signature OK (key {SignedManifest.Fingerprint(key)}), {signed.Entries.Count} entries, {current.Entries.Count - stale.Count}/{current.Entries.Count} current images listed");
        return stale.Count == 0 ? 0 : 1;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
