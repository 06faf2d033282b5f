namespace KalkiEdge.TestKit;

/// <summary>Waiting for a condition, bounded: tests poll for what they expect instead of sleeping and then asserting.</summary>
public static class Waiting
{
    /// <summary>Polls <paramref name="condition"/> every 200 ms until it holds or <paramref name="limit"/> has passed; whether it held.</summary>
    public static bool Until(Func<bool> condition, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var until = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < until)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(200);
        }

        return condition();
    }
}
