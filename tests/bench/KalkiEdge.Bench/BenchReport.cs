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

    public static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n == 0 ? double.NaN : n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }

    public static double Percentile(List<double> values, double p)
    {
        values.Sort();
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * values.Count) - 1;
        return values[Math.Clamp(rank, 0, values.Count - 1)];
    }
}
