namespace KalkiEdge.UnitTests.Support;

/// <summary>
/// The bytes a steady-state loop allocates on the test thread. The runtime itself may allocate once on that thread
/// while the loop runs (tiered compilation installing optimised code, a type initialised on first use), and a loaded
/// machine moves when that happens. A loop that allocates per iteration allocates in every pass, so the fewest
/// bytes of a few passes is what the code under test costs.
/// </summary>
public static class SteadyAllocations
{
    /// <summary>Runs <paramref name="pass"/> (given its pass number) until one pass allocates nothing, at most <paramref name="passes"/> times.</summary>
    public static long Fewest(Action<int> pass, int passes = 3)
    {
        long fewest = long.MaxValue;
        for (int p = 0; p < passes && fewest > 0; p++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            pass(p);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }
}
