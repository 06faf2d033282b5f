namespace KalkiEdge.TestKit;

/// <summary>Locations in this repository, found by walking up from the test binaries.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Umboxes => Path.Combine(Root, "umboxes");

    public static string Rules => Path.Combine(Umboxes, "rules");

    /// <summary>tests/testbed of this checkout; KALKI_TESTBED_DIR points elsewhere (e.g. a newer testbed).</summary>
    public static string Testbed => Environment.GetEnvironmentVariable("KALKI_TESTBED_DIR") is { Length: > 0 } dir ? dir : Path.Combine(Root, "tests", "testbed");

    /// <summary>kalki-edge.dll, built beside the tests or the benchmark (project reference).</summary>
    public static string KalkiEdge => Path.Combine(AppContext.BaseDirectory, "kalki-edge.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KalkiEdge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("KalkiEdge.sln not found above " + AppContext.BaseDirectory);
    }
}
