namespace KalkiEdge.Export.Eve;

/// <summary>
/// A line-per-event file whose last line may have been cut short: by a power loss, or a full disk failing a write
/// part-way. Before the file is appended to again, the unfinished line is cut off, so the next event starts on a
/// line of its own and every consumer (jq, a SIEM shipper) reads only whole JSON lines. The event whose line was torn
/// was already counted as lost (a write error) or never acknowledged (a crash).
/// </summary>
public static class TornLineRepair
{
    /// <summary>How far back a line end is looked for: an EVE line is a few KB; a longer tail is garbage as a whole.</summary>
    private const int MaxScan = 1024 * 1024;

    /// <summary>Cuts the file after its last newline if it does not end with one; returns the bytes removed.</summary>
    public static long Repair(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        long length = file.Length;
        if (length == 0)
        {
            return 0;
        }

        var tail = new byte[(int)Math.Min(length, MaxScan)];
        file.Position = length - tail.Length;
        file.ReadExactly(tail);
        if (tail[^1] == (byte)'\n')
        {
            return 0;
        }

        int lastNewline = Array.LastIndexOf(tail, (byte)'\n');
        long keep = lastNewline < 0 ? Math.Max(0, length - tail.Length) : length - tail.Length + lastNewline + 1;
        if (lastNewline < 0 && keep > 0)
        {
            // No line end in the last megabyte: not an EVE file's torn line; leave it for the operator to look at.
            return 0;
        }

        file.SetLength(keep);
        file.Flush(flushToDisk: true);
        return length - keep;
    }
}
