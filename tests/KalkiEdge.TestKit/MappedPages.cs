using System.Globalization;

namespace KalkiEdge.TestKit;

/// <summary>What the kernel says of one of a process's mappings (/proc/&lt;pid&gt;/smaps): its path and how much of it is resident and written.</summary>
public sealed record MappedPages(string Path, long ResidentBytes, long DirtyBytes)
{
    /// <summary>Every mapping of process <paramref name="pid"/> ("self" for this one) whose path satisfies <paramref name="select"/>.</summary>
    public static IReadOnlyList<MappedPages> Of(string pid, Func<string, bool> select)
    {
        var found = new List<MappedPages>();
        MappedPages? current = null;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0 && !fields[0].EndsWith(':'))
            {
                // A mapping's header: "start-end perms offset dev inode [path]".
                Add(found, current);
                current = fields.Length == 6 && select(fields[5].Trim()) ? new MappedPages(fields[5].Trim(), 0, 0) : null;
            }
            else if (current is not null && fields.Length == 3 && fields[2] == "kB")
            {
                long bytes = long.Parse(fields[1], CultureInfo.InvariantCulture) * 1024;
                current = fields[0] switch
                {
                    "Rss:" => current with { ResidentBytes = bytes },
                    "Shared_Dirty:" or "Private_Dirty:" => current with { DirtyBytes = current.DirtyBytes + bytes },
                    _ => current,
                };
            }
        }

        Add(found, current);
        return found;
    }

    private static void Add(List<MappedPages> found, MappedPages? mapping)
    {
        if (mapping is not null)
        {
            found.Add(mapping);
        }
    }
}
