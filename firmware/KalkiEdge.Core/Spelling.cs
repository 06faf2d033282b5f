namespace KalkiEdge.Core;

/// <summary>Turns a typo into "did you mean": the closest known word within two edits.</summary>
public static class Spelling
{
    /// <summary>The closest of <paramref name="known"/> to <paramref name="word"/>, or null when none is within two edits.</summary>
    public static string? Suggest(string word, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        return known.Select(k => (k, d: Distance(k, word))).Where(x => x.d <= 2).OrderBy(x => x.d).ThenBy(x => x.k, StringComparer.Ordinal).Select(x => x.k).FirstOrDefault();
    }

    /// <summary>" (did you mean 'x'?)" or empty.</summary>
    public static string Hint(string word, IEnumerable<string> known) =>
        Suggest(word, known) is { } s ? $" (did you mean '{s}'?)" : "";

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }
}
