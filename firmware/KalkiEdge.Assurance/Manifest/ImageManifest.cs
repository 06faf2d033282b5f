using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KalkiEdge.Assurance.Measurement;

namespace KalkiEdge.Assurance.Manifest;

/// <summary>One allowed image: name, version and its measurement.</summary>
public sealed record ManifestEntry(string Name, int Version, ImageMeasurement Measurement);

/// <summary>
/// The allowed measurements per image name and version (umboxes/manifest/manifest.json). Only trust a manifest
/// obtained from <see cref="SignedManifest.Load(string, string, System.Security.Cryptography.ECDsa)"/>.
/// </summary>
public sealed class ImageManifest
{
    public const string Format = "kalki-edge-image-manifest/1";

    private readonly Dictionary<string, List<ManifestEntry>> _byName;

    public ImageManifest(IEnumerable<ManifestEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Entries = [.. entries.OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.Version)];
        _byName = Entries.GroupBy(e => e.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
    }

    public IReadOnlyList<ManifestEntry> Entries { get; }

    /// <summary>Every allowed entry for an image name (any version); empty when the image is not listed.</summary>
    public IReadOnlyList<ManifestEntry> For(string name) => _byName.TryGetValue(name, out var list) ? list : [];

    /// <summary>Deterministic UTF-8 JSON (sorted entries, LF line endings): re-signing unchanged images yields the same bytes.</summary>
    public byte[] ToJson()
    {
        var images = new JsonArray();
        foreach (var e in Entries)
        {
            images.Add((JsonNode)new JsonObject { ["name"] = e.Name, ["version"] = e.Version, ["measurement"] = e.Measurement.ToString() });
        }

        var root = new JsonObject { ["format"] = Format, ["algorithm"] = "sha256", ["encoding"] = ImageMeasurer.Domain, ["images"] = images };
        var text = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Parses manifest JSON; throws <see cref="ManifestException"/> naming the first problem.</summary>
    public static ImageManifest Parse(ReadOnlySpan<byte> json, string source)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            // Strings are decoded lazily: invalid UTF-8 would otherwise throw on first access (found by fuzzing).
            throw new ManifestException($"{source}: not valid UTF-8");
        }

        JsonNode? root;
        try
        {
            // A repeated key would otherwise throw ArgumentException on first access (found by fuzzing).
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new ManifestException($"{source}: not valid JSON: {e.Message}");
        }

        // TryGetValue, not a cast: a cast of a number or an object throws InvalidOperationException (found by fuzzing).
        if (root is not JsonObject obj || obj["format"] is not JsonValue format || !format.TryGetValue<string>(out var name) || name != Format)
        {
            throw new ManifestException($"{source}: not a KalkiEdge image manifest (expected \"format\": \"{Format}\")");
        }

        if (obj["images"] is not JsonArray images)
        {
            throw new ManifestException($"{source}: missing \"images\" array");
        }

        var entries = new List<ManifestEntry>();
        for (int i = 0; i < images.Count; i++)
        {
            entries.Add(ParseEntry(images[i], $"{source}: images[{i}]"));
        }

        return new ImageManifest(entries);
    }

    private static ManifestEntry ParseEntry(JsonNode? node, string where)
    {
        try
        {
            var name = (string?)node?["name"];
            var version = (int?)node?["version"];
            var hex = (string?)node?["measurement"];
            if (string.IsNullOrEmpty(name) || version is null or < 1 || !ImageMeasurement.TryParse(hex, out var measurement))
            {
                throw new ManifestException($"{where}: needs \"name\", \"version\" (≥ 1) and a 64-hex-digit \"measurement\"");
            }

            return new ManifestEntry(name, version.Value, measurement);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ManifestException($"{where}: {e.Message}");
        }
    }
}

/// <summary>A manifest that is missing, malformed or not signed by the firmware's key: the appliance must not start.</summary>
public sealed class ManifestException : Exception
{
    public ManifestException() { }

    public ManifestException(string message) : base(message) { }

    public ManifestException(string message, Exception inner) : base(message, inner) { }
}
