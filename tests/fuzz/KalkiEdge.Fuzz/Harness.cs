using KalkiEdge.UnitTests.Fuzz;

namespace KalkiEdge.Fuzz;

/// <summary>
/// The commands of the AFL++ harness. Every target is <see cref="FuzzTargets"/>' (the same parsers and seeds the
/// in-process fuzzer in <c>make test</c> runs); here AFL++ chooses the inputs from the branch coverage SharpFuzz adds
/// to the appliance's assemblies. An exception escaping a parser, or an input allocating more than
/// <see cref="AllocationLimit"/>, is reported to AFL++ as a crash; AFL++'s <c>-t</c> reports hangs.
/// </summary>
internal static class Harness
{
    private const long AllocationLimit = 512L * 1024 * 1024;

    /// <summary>The appliance's own assemblies: coverage is measured in them, not in the harness, the tests or the runtime.</summary>
    private static readonly string[] Instrumented =
    [
        "KalkiEdge.Core", "KalkiEdge.DataPlane", "KalkiEdge.Umboxes", "KalkiEdge.ControlPlane", "KalkiEdge.Appliance",
        "KalkiEdge.Assurance", "KalkiEdge.Management", "KalkiEdge.Panel",
    ];

    public static int List()
    {
        foreach (var t in FuzzTargets.All)
        {
            Console.WriteLine(t.Name);
        }

        return 0;
    }

    public static int Instrument(string dir)
    {
        foreach (var name in Instrumented)
        {
            var path = Path.Combine(dir, name + ".dll");
            var types = SharpFuzz.Fuzzer.Instrument(path, type => type.StartsWith("KalkiEdge.", StringComparison.Ordinal), SharpFuzz.Options.Value);
            Console.WriteLine($"{name}: {types.Count()} types instrumented");
        }

        return 0;
    }

    public static int Seeds(string name, string dir)
    {
        Directory.CreateDirectory(dir);
        var target = Find(name);
        foreach (var (seed, i) in target.Seeds().Concat(ParserFuzzTests.Regressions(name)).Select((s, i) => (s, i)))
        {
            File.WriteAllBytes(Path.Combine(dir, $"seed-{i:D3}"), seed);
        }

        return 0;
    }

    public static int Run(string name)
    {
        var target = Find(name);
        SharpFuzz.Fuzzer.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            RunBounded(target, copy.ToArray());
        });
        return 0;
    }

    public static int Usage()
    {
        Console.Error.WriteLine("usage: KalkiEdge.Fuzz list | instrument DIR | seeds TARGET DIR | run TARGET");
        return 2;
    }

    private static void RunBounded(FuzzTarget target, byte[] input)
    {
        long before = GC.GetTotalAllocatedBytes();
        target.Run(input);
        long allocated = GC.GetTotalAllocatedBytes() - before;
        if (allocated > AllocationLimit)
        {
            throw new InsufficientExecutionStackException($"{target.Name} allocated {allocated / (1024 * 1024)} MiB for a {input.Length}-byte input");
        }
    }

    private static FuzzTarget Find(string name) =>
        FuzzTargets.All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"no fuzz target '{name}' (targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))})");
}
