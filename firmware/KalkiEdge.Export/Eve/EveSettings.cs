using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Syslog;

namespace KalkiEdge.Export.Eve;

/// <summary>Where and how the EVE file is written.</summary>
public sealed record EveFileOptions(string Path)
{
    public const long DefaultRotateBytes = 64L * 1024 * 1024;

    /// <summary>Rotate when the file would grow past this many bytes (0 = only on SIGHUP).</summary>
    public long RotateBytes { get; init; } = DefaultRotateBytes;

    /// <summary>Rotated files kept (<c>eve.json.1</c> … <c>eve.json.N</c>).</summary>
    public int Keep { get; init; } = 5;

    /// <summary>Events waiting for the writer thread beyond which new ones are dropped (and counted).</summary>
    public int QueueCapacity { get; init; } = 65_536;
}

/// <summary>
/// The site config's <c>eve:</c> section:
/// <c>{ file: /var/log/kalki-edge/eve.json, rotate-size: 64MB, keep: 5, journal: true, syslog: { … } }</c>.
/// Without the section nothing is exported beyond the store and the journal's plain log lines.
/// </summary>
public sealed record EveSettings
{
    public const string Section = "eve";

    public EveFileOptions? File { get; init; }

    /// <summary>Each EVE event also as a log line (the journal under systemd), at a priority from its severity.</summary>
    public bool Journal { get; init; }

    public SyslogOptions? Syslog { get; init; }

    public static EveSettings None { get; } = new();

    /// <summary>
    /// Parses the section (null node = none), every problem reported with its place; null if any. A relative file
    /// path is taken from <paramref name="baseDir"/> (the site config's directory).
    /// </summary>
    public static EveSettings? FromSection(ArgNode? section, string baseDir, DiagnosticBag diagnostics)
    {
        if (section is null)
        {
            return None;
        }

        int before = diagnostics.Items.Count;
        if (ConfigSection.Args(Section, section, diagnostics) is not { } args)
        {
            return null;
        }

        EveFileOptions? file = null;
        if (args.Node("file") is { } fileNode && args.ScalarText(fileNode) is { } path)
        {
            if (path.Length == 0 || path.EndsWith('/') || path.Any(char.IsControl))
            {
                args.Error(fileNode.At, $"'file' must be a file path, got '{path}'");
            }

            file = new EveFileOptions(System.IO.Path.Combine(baseDir, path))
            {
                RotateBytes = Size(args, "rotate-size", EveFileOptions.DefaultRotateBytes),
                Keep = (int)args.Int("keep", 5, 0, 100),
            };
        }
        else
        {
            foreach (var key in (string[])["rotate-size", "keep"])
            {
                if (args.Node(key) is { } orphan)
                {
                    args.Error(orphan.At, $"'{key}' applies to the EVE file: set 'file' too");
                }
            }
        }

        var journal = args.Bool("journal", false);
        var syslog = args.Node("syslog") is { } s ? SyslogOptions.Parse(args, s) : null;
        args.RejectUnknown();
        return diagnostics.Items.Count > before ? null : new EveSettings { File = file, Journal = journal, Syslog = syslog };
    }

    /// <summary>A size with its unit (<c>64MB</c>, <c>512KB</c>, <c>1GB</c>, or bytes), 0 = never by size.</summary>
    private static long Size(ElementArgs args, string key, long fallback)
    {
        if (args.Node(key) is not { } node || args.ScalarText(node) is not { } text)
        {
            return fallback;
        }

        var t = text.Trim();
        long scale = t.EndsWith("GB", StringComparison.OrdinalIgnoreCase) ? 1L << 30
            : t.EndsWith("MB", StringComparison.OrdinalIgnoreCase) ? 1L << 20
            : t.EndsWith("KB", StringComparison.OrdinalIgnoreCase) ? 1L << 10 : 1;
        var digits = scale == 1 ? t : t[..^2].Trim();
        if (!long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            || n > long.MaxValue / scale || (n != 0 && n * scale < 4096))
        {
            args.Error(node.At, $"'{key}' must be a size like 64MB, 512KB or 1GB (at least 4KB, or 0 for never), got '{text}'");
            return fallback;
        }

        return n * scale;
    }
}
