using System.Globalization;
using System.Text.Json;

namespace KalkiEdge.Appliance.Backup;

/// <summary>One file of the archive as the manifest lists it.</summary>
public sealed record BackupEntry(string Name, long Size, string Sha256);

/// <summary><c>manifest.json</c>: what the archive holds and how to check it.</summary>
public sealed record BackupManifest(int Version, string Firmware, int Schema, DateTimeOffset Created, IReadOnlyList<BackupEntry> Entries)
{
    public bool HasKeys => Entries.Any(e => e.Name == BackupFormat.KeysEntry);

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", BackupFormat.Name);
            w.WriteNumber("version", Version);
            w.WriteString("firmware", Firmware);
            w.WriteNumber("schema", Schema);
            w.WriteString("created", Created.ToString("O", CultureInfo.InvariantCulture));
            w.WriteStartArray("entries");
            foreach (var e in Entries)
            {
                w.WriteStartObject();
                w.WriteString("name", e.Name);
                w.WriteNumber("size", e.Size);
                w.WriteString("sha256", e.Sha256);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Parses and checks the manifest: the format, a version this firmware reads, and well-formed entries.</summary>
    public static BackupManifest Parse(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != BackupFormat.Name)
            {
                throw new BackupException($"{BackupFormat.ManifestEntry}: not a {BackupFormat.Name} manifest (no \"format\": \"{BackupFormat.Name}\")");
            }

            var version = root.GetProperty("version").GetInt32();
            if (version > BackupFormat.Version || version < 1)
            {
                throw new BackupException($"{BackupFormat.ManifestEntry}: archive format version {version} is newer than this firmware reads ({BackupFormat.Version}): restore it with the firmware that made it or newer");
            }

            var entries = new List<BackupEntry>();
            foreach (var e in root.GetProperty("entries").EnumerateArray())
            {
                var name = e.GetProperty("name").GetString() ?? "";
                var size = e.GetProperty("size").GetInt64();
                var sha = e.GetProperty("sha256").GetString() ?? "";
                if (BackupFormat.LimitFor(name) is not { } limit || size < 0 || size > limit || sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower))
                {
                    throw new BackupException($"{BackupFormat.ManifestEntry}: refused entry '{name}' ({size} bytes): an unknown name, a size beyond its limit, or a malformed SHA-256");
                }

                entries.Add(new BackupEntry(name, size, sha));
            }

            return new BackupManifest(version, root.GetProperty("firmware").GetString() ?? "", root.GetProperty("schema").GetInt32(),
                DateTimeOffset.Parse(root.GetProperty("created").GetString() ?? "", CultureInfo.InvariantCulture), entries);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new BackupException($"{BackupFormat.ManifestEntry}: malformed: {e.Message}", e);
        }
    }
}
