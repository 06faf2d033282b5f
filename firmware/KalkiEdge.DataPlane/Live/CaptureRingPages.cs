using System.Globalization;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// Touches every page of a capture socket's ring once, for writing, when its port opens, so that the capture thread's
/// first pass over the ring runs at the speed of the ones after it. The kernel maps the ring's pages into the process
/// with page-table entries never accessed (neither accessed nor dirty), and the first read and the first write of each
/// page trap to set those bits: a hypervisor exit on the test VM (shadow paging: 2.1 µs for the read and 5.6 µs for the
/// write of each 4 KiB page, one write alone 6.6 µs, measured), an access-flag fault on CPUs that do not update the bits
/// in hardware (the Pi 4's Cortex-A72). With two 1,600-byte slots a page, a thread meeting those traps in its first pass
/// spent ~4 µs more per frame, forwarded at half the offered rate and overflowed the ring at the start of traffic (Live
/// README, "The first pass over the ring"). The write adds zero atomically, so a slot the kernel is filling meanwhile
/// keeps every byte it wrote.
/// </summary>
internal static class CaptureRingPages
{
    /// <summary>
    /// Touches the pages of every writable mapping of <paramref name="fd"/> in this process; returns how many (0 where
    /// /proc cannot tell: the ring then warms up under traffic, as before).
    /// </summary>
    public static long Touch(int fd)
    {
        string? target;
        string maps;
        try
        {
            target = new FileInfo($"/proc/self/fd/{fd.ToString(CultureInfo.InvariantCulture)}").LinkTarget;
            maps = File.ReadAllText("/proc/self/maps");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        long pages = 0;
        foreach (var (start, end) in target is null ? [] : WritableMappings(maps, target))
        {
            pages += TouchRange(start, end);
        }

        return pages;
    }

    /// <summary>The address ranges of /proc/&lt;pid&gt;/maps lines (<paramref name="maps"/>) that map <paramref name="target"/> readable and writable.</summary>
    internal static IEnumerable<(nint Start, nint End)> WritableMappings(string maps, string target)
    {
        foreach (var line in maps.Split('\n'))
        {
            // "start-end perms offset dev inode path": the path is the rest of the line after five fields.
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || fields[5].Trim() != target || !fields[1].StartsWith("rw", StringComparison.Ordinal))
            {
                continue;
            }

            var range = fields[0].Split('-');
            yield return ((nint)long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                (nint)long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Adds zero to the first word of each page in [<paramref name="start"/>, <paramref name="end"/>): a write that changes nothing.</summary>
    internal static unsafe long TouchRange(nint start, nint end)
    {
        int page = Environment.SystemPageSize;
        long pages = 0;
        for (nint address = start; address < end; address += page)
        {
            Interlocked.Add(ref *(int*)address, 0);
            pages++;
        }

        return pages;
    }
}
