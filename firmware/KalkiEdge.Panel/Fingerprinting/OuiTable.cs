using System.Globalization;

namespace KalkiEdge.Panel.Fingerprinting;

/// <summary>A vendor by MAC prefix: one entry of the shipped OUI table.</summary>
public sealed record OuiVendor(string Key, string Organisation);

/// <summary>
/// The MAC prefixes (OUI) of the supported families, from the IEEE MA-L registry trimmed to the shipped packs'
/// vendors (<c>oui.tsv</c>, embedded). Locally administered MACs (random, virtual) never match.
/// </summary>
public sealed class OuiTable
{
    private readonly Dictionary<uint, OuiVendor> _byPrefix;

    private OuiTable(Dictionary<uint, OuiVendor> byPrefix) => _byPrefix = byPrefix;

    public static OuiTable Shipped { get; } = Load();

    public int Count => _byPrefix.Count;

    public OuiVendor? Lookup(ulong mac) =>
        (mac & 0x0200_0000_0000UL) != 0 ? null : _byPrefix.GetValueOrDefault((uint)(mac >> 24));

    /// <summary>Parses the table: "OUI&lt;tab&gt;key&lt;tab&gt;organisation" lines, '#' comments.</summary>
    public static OuiTable Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var table = new Dictionary<uint, OuiVendor>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var cols = line.Split('\t');
            if (cols.Length != 3 || cols[0].Length != 6 || !uint.TryParse(cols[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var prefix)
                || !table.TryAdd(prefix, new OuiVendor(cols[1], cols[2])))
            {
                throw new InvalidDataException($"oui.tsv:{lineNumber}: expected 'OUI<tab>vendor<tab>organisation' with a new 6-digit hex OUI, got '{line}'");
            }
        }

        return new OuiTable(table);
    }

    private static OuiTable Load()
    {
        using var stream = typeof(OuiTable).Assembly.GetManifestResourceStream("KalkiEdge.Panel.oui.tsv")
            ?? throw new InvalidOperationException("the OUI table is not embedded in KalkiEdge.Panel");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }
}
