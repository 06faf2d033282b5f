using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Assurance.Measurement;

/// <summary>
/// Measures a μmbox image: SHA-256 over its canonical encoding (README.md "Image measurement"). Everything that
/// decides the image's behaviour is covered — name, version, chain text and every file its elements loaded — and
/// every field is length-prefixed, so no two different images share an encoding.
/// </summary>
public static class ImageMeasurer
{
    /// <summary>Domain separator: a measurement can never be confused with another SHA-256 in the system.</summary>
    public const string Domain = "kalki-edge/image-measurement/v1";

    public static ImageMeasurement Measure(string name, int version, ChainDefinition chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return Measure(name, version, chain.Text, chain.Files);
    }

    public static ImageMeasurement Measure(string name, int version, string chainText, IReadOnlyList<LoadedFile> files)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(files);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendField(hash, Encoding.UTF8.GetBytes(Domain));
        AppendField(hash, Encoding.UTF8.GetBytes(name));
        AppendUInt32(hash, (uint)version);
        AppendField(hash, Encoding.UTF8.GetBytes(NormalizeChainText(chainText)));

        var sorted = files.ToArray();
        Array.Sort(sorted, CompareFiles);
        AppendUInt32(hash, (uint)sorted.Length);
        foreach (var file in sorted)
        {
            AppendField(hash, Encoding.UTF8.GetBytes(file.Name));
            AppendField(hash, file.Content);
        }

        Span<byte> digest = stackalloc byte[ImageMeasurement.Size];
        hash.GetHashAndReset(digest);
        return new ImageMeasurement(digest);
    }

    /// <summary>
    /// Line endings become LF, trailing white space of each line and blank lines at either end go: editors and
    /// checkouts (CRLF, trailing blanks) must not change a measurement; anything the chain compiler reads does.
    /// </summary>
    public static string NormalizeChainText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        var builder = new StringBuilder(text.Length);
        foreach (var line in lines)
        {
            builder.Append(line.TrimEnd()).Append('\n');
        }

        return builder.ToString().Trim('\n');
    }

    // Ordinal on UTF-8 bytes, then content: the order never depends on culture or on load order.
    private static int CompareFiles(LoadedFile a, LoadedFile b)
    {
        var byName = Encoding.UTF8.GetBytes(a.Name).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b.Name));
        return byName != 0 ? byName : a.Content.AsSpan().SequenceCompareTo(b.Content);
    }

    private static void AppendField(IncrementalHash hash, ReadOnlySpan<byte> bytes)
    {
        AppendUInt32(hash, (uint)bytes.Length);
        hash.AppendData(bytes);
    }

    private static void AppendUInt32(IncrementalHash hash, uint value)
    {
        Span<byte> be = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(be, value);
        hash.AppendData(be);
    }
}
