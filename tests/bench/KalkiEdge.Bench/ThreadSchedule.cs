using System.Globalization;

namespace KalkiEdge.Bench;

/// <summary>
/// What the scheduler did with one thread of another process, from /proc/PID/task/TID/schedstat: nanoseconds on a CPU,
/// nanoseconds runnable but waiting for one, and how many times it was put on a CPU. Taken before and after a run, it
/// says whether a thread that lost frames was busy (its work outran it) or kept off the CPU (someone else ran).
/// </summary>
public readonly record struct ThreadSchedule(long RunNanos, long WaitNanos, long Slices)
{
    /// <summary>The first thread of <paramref name="pid"/> named <paramref name="name"/> (/proc/PID/task/TID/comm), or null if there is none (or it just ended).</summary>
    public static ThreadSchedule? Of(int pid, string name)
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == name)
                {
                    return Parse(File.ReadAllText(Path.Combine(task, "schedstat")));
                }
            }
        }
        catch (IOException)
        {
            // The process or thread ended while it was being read.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>A schedstat line: "run-ns wait-ns slices".</summary>
    public static ThreadSchedule Parse(string schedstat)
    {
        var cells = schedstat.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (cells.Length != 3 || !cells.All(c => long.TryParse(c, CultureInfo.InvariantCulture, out _)))
        {
            throw new FormatException($"not a schedstat line: '{schedstat.Trim()}'");
        }

        return new(long.Parse(cells[0], CultureInfo.InvariantCulture), long.Parse(cells[1], CultureInfo.InvariantCulture), long.Parse(cells[2], CultureInfo.InvariantCulture));
    }

    public static ThreadSchedule operator -(ThreadSchedule after, ThreadSchedule before) =>
        new(after.RunNanos - before.RunNanos, after.WaitNanos - before.WaitNanos, after.Slices - before.Slices);
}
