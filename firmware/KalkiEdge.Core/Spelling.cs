namespace KalkiEdge.Core;

/// <summary>Turns a typo into a "did you mean": the closest known word within a small edit distance.</summary>
public static class Spelling
{
    /// <summary>The candidate closest to <paramref name="word"/> (at most <paramref name="maxEdits"/> edits away), or null.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates, int maxEdits = 2)
    {
        string? best = null;
        int bestDistance = maxEdits + 1;
        foreach (var candidate in candidates)
        {
            var d = Distance(candidate, word);
            if (d < bestDistance)
            {
                (best, bestDistance) = (candidate, d);
            }
        }

        return best;
    }

    /// <summary>" (did you mean 'x'?)" for a suggestion, "" for none: appended to an error message.</summary>
    public static string Hint(string? suggestion) => suggestion is null ? "" : $" (did you mean '{suggestion}'?)";

    /// <summary>Levenshtein distance (insertions, deletions, substitutions).</summary>
    public static int Distance(string a, string b)
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
