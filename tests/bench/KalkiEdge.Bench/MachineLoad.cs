using System.Globalization;

namespace KalkiEdge.Bench;

/// <summary>
/// The machine's load average beside every suite's figures: on a shared machine a ratio is only as good as the load
/// both sides of it ran under, so the report says what that was.
/// </summary>
public static class MachineLoad
{
    public static void Add(SuiteReport report, string when)
    {
        ArgumentNullException.ThrowIfNull(report);
        report.Add($"load average (1 min) at {when}", OneMinute(), "", $"{Environment.ProcessorCount} cores");
    }

    /// <summary>The first field of /proc/loadavg, or NaN where there is none.</summary>
    public static double OneMinute()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : double.NaN;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }
}
