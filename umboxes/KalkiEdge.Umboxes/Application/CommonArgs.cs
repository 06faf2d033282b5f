using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Application;

/// <summary>Arguments shared by the application-layer elements, spelled and checked the same way in each.</summary>
internal static class CommonArgs
{
    public const int DefaultSources = 4096;
    public const int MaxSources = 1 << 20;

    /// <summary>
    /// Default aggregation period of per-request alerts (default-login, control-attempt, abnormal-egress): short
    /// enough that a policy counting them over minutes sees every scripted request within 0.1 s, long enough to
    /// cap a flood at ten alerts per second per source.
    /// </summary>
    public const long DefaultAlertWindowMicros = 100_000;

    /// <summary><c>alert-window:</c> aggregation period of per-request alerts (one alert per source per period, with a count).</summary>
    public static long AlertWindowArg(ElementArgs args) => args.DurationMicros("alert-window", DefaultAlertWindowMicros);

    /// <summary><c>max-sources:</c> capacity of the per-source tables (rounded up to a power of two; bounded memory, least recently seen evicted and counted).</summary>
    public static int MaxSourcesArg(ElementArgs args) => (int)args.Int("max-sources", DefaultSources, 16, MaxSources);

    /// <summary>
    /// An alert type name chosen by configuration (built-in or pack-defined): lower-case words joined by dashes.
    /// </summary>
    public static string AlertType(ElementArgs args, string key, string fallback)
    {
        var n = args.Node(key, "alert type", fallback);
        var text = n is null ? null : args.ScalarText(n);
        if (text is null)
        {
            return fallback;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
            {
                args.Error(n!.At, $"'{key}' must be an alert type name like 'control-attempt' (lower-case letters, digits, dashes), got '{text}'");
                return fallback;
            }
        }

        if (text.Length == 0)
        {
            args.Error(n!.At, $"'{key}' must not be empty");
            return fallback;
        }

        return text;
    }
}
