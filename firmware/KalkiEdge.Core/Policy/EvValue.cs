using System.Globalization;

namespace KalkiEdge.Core.Policy;

/// <summary>Types of environment variables (sensor values). KalKi could compare neither booleans nor decimals.</summary>
public enum ValueKind
{
    Bool,
    Int,
    Decimal,
    String,
    Timestamp,
}

/// <summary>Comparison operators usable on every value kind (booleans order false &lt; true, strings ordinally).</summary>
public enum Comparison
{
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Equal,
    NotEqual,
}

/// <summary>
/// A typed environment-variable value. Booleans and timestamps (microseconds since the Unix epoch) live in
/// <see cref="Number"/>, decimals in <see cref="Decimal"/>, strings in <see cref="Text"/>.
/// </summary>
public readonly record struct EvValue(ValueKind Kind, long Number, decimal Decimal, string? Text)
{
    public static EvValue Of(bool value) => new(ValueKind.Bool, value ? 1 : 0, 0, null);

    public static EvValue Of(long value) => new(ValueKind.Int, value, 0, null);

    public static EvValue Of(decimal value) => new(ValueKind.Decimal, 0, value, null);

    public static EvValue Of(string value) => new(ValueKind.String, 0, 0, value);

    public static EvValue Timestamp(long unixMicros) => new(ValueKind.Timestamp, unixMicros, 0, null);

    /// <summary>Numeric view (ints, decimals, booleans, timestamps); used by sum and average.</summary>
    public decimal AsDecimal => Kind == ValueKind.Decimal ? Decimal : Number;

    public static bool TryParse(ValueKind kind, string text, out EvValue value, out string error)
    {
        value = default;
        error = "";
        var t = text.Trim();
        switch (kind)
        {
            case ValueKind.Bool when bool.TryParse(t, out var b):
                value = Of(b);
                return true;
            case ValueKind.Int when long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i):
                value = Of(i);
                return true;
            case ValueKind.Decimal when decimal.TryParse(t, NumberStyles.Number, CultureInfo.InvariantCulture, out var d):
                value = Of(d);
                return true;
            case ValueKind.String:
                value = Of(text);
                return true;
            case ValueKind.Timestamp when DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts):
                value = Timestamp((ts.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
                return true;
            default:
                error = kind switch
                {
                    ValueKind.Bool => $"'{text}' is not a bool (true or false)",
                    ValueKind.Int => $"'{text}' is not an int",
                    ValueKind.Decimal => $"'{text}' is not a decimal (e.g. 21.5)",
                    _ => $"'{text}' is not a timestamp (ISO 8601, e.g. 2026-01-31T12:00:00Z)",
                };
                return false;
        }
    }

    /// <summary>Orders two values of the same kind; ints and decimals compare numerically with each other.</summary>
    public int CompareTo(EvValue other) => (Kind, other.Kind) switch
    {
        (ValueKind.String, ValueKind.String) => string.CompareOrdinal(Text, other.Text),
        (ValueKind.Decimal, _) or (_, ValueKind.Decimal) => AsDecimal.CompareTo(other.AsDecimal),
        _ => Number.CompareTo(other.Number),
    };

    public bool Satisfies(Comparison op, EvValue operand)
    {
        int c = CompareTo(operand);
        return op switch
        {
            Comparison.Greater => c > 0,
            Comparison.GreaterOrEqual => c >= 0,
            Comparison.Less => c < 0,
            Comparison.LessOrEqual => c <= 0,
            Comparison.Equal => c == 0,
            _ => c != 0,
        };
    }

    public override string ToString() => Kind switch
    {
        ValueKind.Bool => Number != 0 ? "true" : "false",
        ValueKind.Int => Number.ToString(CultureInfo.InvariantCulture),
        ValueKind.Decimal => Decimal.ToString(CultureInfo.InvariantCulture),
        ValueKind.String => Text ?? "",
        _ => DateTimeOffset.FromUnixTimeMilliseconds(Number / 1000).AddTicks(Number % 1000 * 10).ToString("O", CultureInfo.InvariantCulture),
    };
}

public static class ComparisonText
{
    private static readonly (string Text, Comparison Op)[] Table =
    [
        (">=", Comparison.GreaterOrEqual), ("<=", Comparison.LessOrEqual), ("==", Comparison.Equal),
        ("!=", Comparison.NotEqual), (">", Comparison.Greater), ("<", Comparison.Less),
    ];

    public static bool TryParse(string text, out Comparison op)
    {
        foreach (var (t, o) in Table)
        {
            if (text.Trim() == t)
            {
                op = o;
                return true;
            }
        }

        op = default;
        return false;
    }

    public static string Format(Comparison op) => Array.Find(Table, e => e.Op == op).Text;
}
