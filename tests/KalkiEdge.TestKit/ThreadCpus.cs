namespace KalkiEdge.TestKit;

/// <summary>A thread of a process as the kernel names it (comm, cut to 15 bytes) and the CPUs it may run on (/proc/&lt;pid&gt;/task/*/status).</summary>
public sealed record ThreadCpus(string Name, string Cpus)
{
    /// <summary>The threads of process <paramref name="pid"/> ("self" for this one) whose name starts with <paramref name="prefix"/>.</summary>
    public static ThreadCpus[] Of(string pid, string prefix) =>
        [.. Directory.GetDirectories($"/proc/{pid}/task")
            .Select(task => (Name: ReadOrEmpty(Path.Combine(task, "comm")).Trim(), Status: ReadOrEmpty(Path.Combine(task, "status"))))
            .Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal) && t.Status.Contains(AllowedList, StringComparison.Ordinal))
            .Select(t => new ThreadCpus(t.Name, t.Status.Split('\n').Single(l => l.StartsWith(AllowedList, StringComparison.Ordinal))[AllowedList.Length..].Trim()))];

    private const string AllowedList = "Cpus_allowed_list:";

    /// <summary>A thread may end between listing and reading.</summary>
    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
