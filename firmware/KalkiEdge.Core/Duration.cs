using System.Globalization;

namespace KalkiEdge.Core;

/// <summary>Parses durations that always carry their unit ("500ms", "10s", "30min", "2h", "7d").</summary>
public static class Duration
{
    private static readonly (string Unit, long Micros)[] Units =
    [
        ("us", 1), ("ms", 1_000), ("s", 1_000_000), ("min", 60_000_000), ("h", 3_600_000_000), ("d", 86_400_000_000),
    ];

    /// <summary>
    /// The longest duration accepted: a century. Longer ones are typing errors, and bounding them keeps every
    /// sum of a time and a duration far from overflowing.
    /// </summary>
    public const long MaxMicros = 36_500 * 86_400_000_000;

    public static bool TryParseMicros(string text, out long micros, out string error)
    {
        micros = 0;
        var t = text.Trim();
        int split = 0;
        while (split < t.Length && (char.IsAsciiDigit(t[split]) || t[split] == '.'))
        {
            split++;
        }

        var unit = t[split..].Trim();
        if (split == 0 || !decimal.TryParse(t[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            error = $"'{text}' is not a duration: expected a number followed by a unit (us, ms, s, min, h, d)";
            return false;
        }

        foreach (var (u, scale) in Units)
        {
            if (unit == u)
            {
                if (n > MaxMicros / scale)
                {
                    error = $"duration '{text}' is too long (at most {Format(MaxMicros)})";
                    return false;
                }

                micros = (long)(n * scale);
                error = "";
                return true;
            }
        }

        error = unit.Length == 0
            ? $"duration '{text}' has no unit: write e.g. '{text}s' (units: us, ms, s, min, h, d)"
            : $"duration '{text}' has unknown unit '{unit}' (units: us, ms, s, min, h, d)";
        return false;
    }

    public static string Format(long micros) => micros switch
    {
        _ when micros % 86_400_000_000 == 0 && micros != 0 => $"{micros / 86_400_000_000}d",
        _ when micros % 3_600_000_000 == 0 && micros != 0 => $"{micros / 3_600_000_000}h",
        _ when micros % 60_000_000 == 0 && micros != 0 => $"{micros / 60_000_000}min",
        _ when micros % 1_000_000 == 0 => $"{micros / 1_000_000}s",
        _ when micros % 1_000 == 0 => $"{micros / 1_000}ms",
        _ => $"{micros}us",
    };
}
