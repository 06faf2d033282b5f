using System.Diagnostics;
using System.Globalization;

namespace KalkiEdge.UnitTests.Fuzz;

/// <summary>
/// A fixed-budget, seeded fuzz run of every parser (<see cref="FuzzTargets"/>) inside <c>make test</c>: the seeds,
/// the committed corpus (<c>tests/fuzz/corpus/TARGET/</c>, which <c>make fuzz</c> starts from too), every input kept
/// in <c>Fuzz/regressions/TARGET/</c>, then mutations of the seeds and the corpus for a few seconds per target. An exception
/// that escapes a parser, an input taking longer than <see cref="HangLimit"/> or allocating more than
/// <see cref="AllocationLimit"/> fails the test, and the input is written to <c>out/fuzz-findings/</c> with the
/// seed and iteration that made it. <c>make fuzz</c> runs the same with a longer budget and a fresh seed.
/// </summary>
[NonParallelizable] // allocation is measured process-wide
public class ParserFuzzTests
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(5);
    private const long AllocationLimit = 512L * 1024 * 1024;

    private static IEnumerable<FuzzTarget> Targets => FuzzTargets.All;

    private static TimeSpan Budget => TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("KALKI_FUZZ_SECONDS") ?? "4", CultureInfo.InvariantCulture));

    private static int Seed => int.Parse(Environment.GetEnvironmentVariable("KALKI_FUZZ_SEED") ?? "20261204", CultureInfo.InvariantCulture);

    [TestCaseSource(nameof(Targets))]
    public void A_parser_survives_mutated_input_in_bounded_time_and_memory(FuzzTarget target)
    {
        var seeds = target.Seeds();
        Assert.That(seeds, Is.Not.Empty, "a fuzz target needs seed inputs");
        var corpus = Corpus(target.Name);
        Assert.That(corpus, Is.Not.Empty, $"a fuzz target needs a committed corpus in tests/fuzz/corpus/{target.Name}/");
        seeds = [.. seeds, .. corpus];
        foreach (var (input, i) in seeds.Concat(Regressions(target.Name)).Select((x, i) => (x, i)))
        {
            RunOne(target, input, $"seed or regression {i}");
        }

        var mutator = new Mutator(new Random(Seed), seeds);
        var clock = Stopwatch.StartNew();
        long runs = 0;
        while (clock.Elapsed < Budget)
        {
            RunOne(target, mutator.Next(), $"seed {Seed} iteration {runs}");
            runs++;
        }

        TestContext.Out.WriteLine($"{target.Name}: {runs} mutated inputs in {clock.Elapsed.TotalSeconds:F1} s (seed {Seed}), no crash, hang or runaway allocation");
        Assert.That(runs, Is.GreaterThan(0));
    }

    private static void RunOne(FuzzTarget target, byte[] input, string which)
    {
        long allocatedBefore = GC.GetTotalAllocatedBytes();
        var run = Task.Run(() => target.Run(input));
        bool finished;
        try
        {
            finished = run.Wait(HangLimit);
        }
        catch (AggregateException e)
        {
            Fail(target, input, which, $"crashed: {e.InnerException}");
            return;
        }

        if (!finished)
        {
            Fail(target, input, which, $"did not finish within {HangLimit.TotalSeconds} s");
        }

        long allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        if (allocated > AllocationLimit)
        {
            Fail(target, input, which, $"allocated {allocated / (1024 * 1024)} MiB for a {input.Length}-byte input");
        }
    }

    private static void Fail(FuzzTarget target, byte[] input, string which, string what)
    {
        var dir = Path.Combine(RepoPaths.Root, "out", "fuzz-findings");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"{target.Name}-{which.Replace(' ', '-')}.bin");
        File.WriteAllBytes(file, input);
        Assert.Fail($"{target.Name} {what} ({which}; input kept in {file}; keep it in tests/KalkiEdge.UnitTests/Fuzz/regressions/{target.Name}/ once fixed)");
    }

    public static IEnumerable<byte[]> Regressions(string target) =>
        Inputs(Path.Combine(RepoPaths.Root, "tests", "KalkiEdge.UnitTests", "Fuzz", "regressions", target));

    /// <summary>The committed corpus of a target: hostile inputs written for its defences, and inputs AFL++ kept for new coverage.</summary>
    public static IReadOnlyList<byte[]> Corpus(string target) => [.. Inputs(Path.Combine(RepoPaths.Root, "tests", "fuzz", "corpus", target))];

    private static IEnumerable<byte[]> Inputs(string dir) =>
        Directory.Exists(dir) ? Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes) : [];
}
