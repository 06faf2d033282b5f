using System.Globalization;

namespace KalkiEdge.Host.Memory;

/// <summary>
/// One mapping of this process's address space as /proc/self/smaps lists it: its range, permissions, the file it
/// maps (empty when anonymous, bracketed for the kernel's own such as [heap]), and of its resident memory the part
/// that is a private copy (<c>Anonymous</c>: pages written, relocated or copied on write, no longer the file's).
/// </summary>
internal readonly record struct FileMapping(ulong Start, ulong End, string Permissions, string Path, long ResidentKb, long AnonymousKb)
{
    /// <summary>
    /// Read-only, private, from a file on disk, and every resident page still the file's own: the pages can be
    /// dropped and read again from the file unchanged (the kernel itself does so whenever it reclaims them).
    /// Writable mappings, shared ones, sockets (the capture rings) and relocated read-only data are never this.
    /// </summary>
    public bool IsCleanFileCopy =>
        Permissions.Length == 4 && Permissions[1] != 'w' && Permissions[3] == 'p' &&
        Path.StartsWith('/') && AnonymousKb == 0 && ResidentKb > 0;

    /// <summary>
    /// The mappings of a smaps listing, in its order; one whose size fields cannot be read is left out. A maps
    /// listing (the same lines without the sizes) gives every mapping with its sizes unknown (-1).
    /// </summary>
    public static List<FileMapping> Parse(TextReader smaps)
    {
        var mappings = new List<FileMapping>();
        FileMapping? current = null;
        while (smaps.ReadLine() is { } line)
        {
            // Two fields of each mapping's twenty-odd are wanted: the rest are skipped without being taken apart.
            if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                current = current is { } open && Kilobytes(line) is { } kb ? open with { ResidentKb = kb } : null;
            }
            else if (line.StartsWith("Anonymous:", StringComparison.Ordinal))
            {
                current = current is { } open && Kilobytes(line) is { } kb ? open with { AnonymousKb = kb } : null;
            }
            else if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && Header(line) is { } header)
            {
                if (current is { } done)
                {
                    mappings.Add(done);
                }

                current = header;
            }
        }

        if (current is { } last)
        {
            mappings.Add(last);
        }

        return mappings;
    }

    // "7f14dba00000-7f14dbac5000 r--p 00000000 fe:00 332131    /usr/lib/x86_64-linux-gnu/libcrypto.so.3"
    private static FileMapping? Header(string line)
    {
        var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        var dash = parts.Length < 5 ? -1 : parts[0].IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 ||
            !ulong.TryParse(parts[0].AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start) ||
            !ulong.TryParse(parts[0].AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end) ||
            parts[1].Length != 4)
        {
            return null;
        }

        // Pages of a file deleted since it was mapped cannot be read again: the kernel marks its path.
        var path = parts.Length == 6 ? parts[5].Trim() : "";
        return new FileMapping(start, end, parts[1], path.EndsWith(" (deleted)", StringComparison.Ordinal) ? "" : path, -1, -1);
    }

    // "Anonymous:             0 kB"
    private static long? Kilobytes(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        return line.EndsWith(" kB", StringComparison.Ordinal) &&
            long.TryParse(line.AsSpan(colon + 1, line.Length - colon - 4), NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var kb)
            ? kb : null;
    }
}
