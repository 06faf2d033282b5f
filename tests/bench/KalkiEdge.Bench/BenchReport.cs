using System.Diagnostics;
using System.Text.Json;

namespace KalkiEdge.Bench;

/// <summary>One benchmark family (e.g. engine throughput).</summary>
public interface IBenchSuite
{
    string Name { get; }

    string Description { get; }

    /// <summary>What the machine must have for the suite to run; checked before it starts.</summary>
    IReadOnlyList<Prerequisite> Requires => [];

    void Run(SuiteReport report);
}

/// <summary>Collects measurements of all suites and writes them as JSON.</summary>
public sealed class BenchReport(string directory)
{
    // Named literals: a metric that could not be measured here (peer absent) is NaN, which plain JSON cannot hold.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private readonly Dictionary<string, SuiteReport> _suites = [];

    public SuiteReport For(string suite) => _suites[suite] = new SuiteReport(suite);

    public void Save()
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(_suites.ToDictionary(s => s.Key, s => s.Value.Rows), Indented));
        Console.WriteLine($"report: {path}");
    }
}

/// <summary>A suite's rows: name, value, unit, and an optional note (e.g. the baseline a ratio refers to).</summary>
public sealed class SuiteReport(string suite)
{
    public string Suite { get; } = suite;

    public List<Dictionary<string, object>> Rows { get; } = [];

    public void Add(string metric, double value, string unit, string note = "")
    {
        Rows.Add(new Dictionary<string, object> { ["metric"] = metric, ["value"] = Math.Round(value, 3), ["unit"] = unit, ["note"] = note });
        Console.WriteLine($"  {metric,-58} {Format(value),14} {unit,-8} {note}");
    }

    private static string Format(double v) => v >= 1000 ? v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Median-of-N timing helpers (the machines are shared and noisy: report medians).</summary>
public static class Measure
{
    /// <summary>Runs <paramref name="action"/> <paramref name="repetitions"/> times; returns the median seconds.</summary>
    public static double MedianSeconds(int repetitions, Action action)
    {
        var times = new List<double>();
        for (int i = 0; i < repetitions; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalSeconds);
        }

        return Median(times);
    }

    /// <summary>The median; <paramref name="values"/> keep their order (rounds stay paired for <see cref="PairedRatios"/>).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = Sorted(values);
        int n = sorted.Count;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>The <paramref name="p"/>th percentile (nearest rank); <paramref name="values"/> keep their order.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = Sorted(values);
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    private static List<double> Sorted(IEnumerable<double> values)
    {
        var sorted = new List<double>(values);
        sorted.Sort();
        return sorted;
    }
}
