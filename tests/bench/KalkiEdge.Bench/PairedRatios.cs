using System.Globalization;

namespace KalkiEdge.Bench;

/// <summary>
/// The spread of a ratio measured in alternated rounds. Both sides of a round were taken in the same minutes, so the
/// ratio of each round's pair shows how far the ratio itself moved within the run; each side's own spread mostly shows
/// the machine's speed moving under both.
/// </summary>
public static class PairedRatios
{
    /// <summary>The lowest and highest of <c>numerators[i] / denominators[i]</c>, round <c>i</c> paired with round <c>i</c>.</summary>
    public static (double Low, double High) Range(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators)
    {
        ArgumentNullException.ThrowIfNull(numerators);
        ArgumentNullException.ThrowIfNull(denominators);
        if (numerators.Count != denominators.Count)
        {
            throw new ArgumentException($"{numerators.Count} numerators against {denominators.Count} denominators: a ratio's rounds must pair up", nameof(denominators));
        }

        if (numerators.Count == 0)
        {
            throw new ArgumentException("no rounds to take a ratio's spread from", nameof(numerators));
        }

        var ratios = numerators.Zip(denominators, (n, d) => n / d).ToList();
        return (ratios.Min(), ratios.Max());
    }

    /// <summary>The spread for a report's note, e.g. <c>per round 0.712..0.781 over 5</c>.</summary>
    public static string Describe(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators, string round = "round")
    {
        var (low, high) = Range(numerators, denominators);
        return string.Create(CultureInfo.InvariantCulture, $"per {round} {low:0.###}..{high:0.###} over {numerators.Count}");
    }
}
