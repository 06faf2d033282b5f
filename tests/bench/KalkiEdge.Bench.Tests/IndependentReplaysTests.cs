using KalkiEdge.Appliance;
using KalkiEdge.Bench.Suites;
using KalkiEdge.TestKit;

namespace KalkiEdge.Bench.Tests;

/// <summary>
/// The engine-threads suite's ceiling: two replays with nothing shared, started together, each run to its end; the
/// sample's wall time runs until both are done, so it covers each replaying thread's processor time.
/// </summary>
public sealed class IndependentReplaysTests
{
    private const int Frames = 20_000;

    private TempDir _dir = null!;

    [SetUp]
    public void CreateDir() => _dir = new TempDir("kalki-bench-independent-");

    [TearDown]
    public void DeleteDir() => _dir.Dispose();

    [Test]
    public void Both_replays_run_to_their_end_and_the_wall_time_covers_each_ones_processor_time() => WithTwoReplays((appliances, pcaps) =>
    {
        var sample = IndependentReplays.Run(appliances, pcaps, Frames);

        Assert.That(appliances.Select(a => a.Engine.Counters.Frames), Is.EqualTo(new long[] { Frames, Frames }), "each appliance replayed its whole file");
        Assert.That(sample.Cpu, Is.GreaterThan(0), "the replaying threads' processor time");
        // getrusage counts in microseconds and a thread cannot run longer than the time it existed.
        Assert.That(sample.Cpu, Is.LessThanOrEqualTo(sample.Wall + 0.002), "the wall time ends when the last replay does");
    });

    [Test]
    public void A_replay_that_processes_fewer_frames_than_the_capture_has_fails_the_sample() => WithTwoReplays((appliances, pcaps) =>
        Assert.That(() => IndependentReplays.Run(appliances, pcaps, Frames + 1), Throws.InvalidOperationException.With.InnerException.Message.Contains($"of {Frames + 1:N0} frames")));

    /// <summary>Two appliances of the same small mix and two copies of its capture, disposed after <paramref name="test"/>.</summary>
    private void WithTwoReplays(Action<EdgeAppliance[], string[]> test)
    {
        var mix = TrafficMix.Build(20, Frames);
        var first = _dir.File("mix.pcap");
        mix.WritePcap(first);
        var second = _dir.File("mix-2.pcap");
        File.Copy(first, second);
        var chain = EngineThroughputSuite.FirewallChain.Trim('"');
        EdgeAppliance[] appliances = [EngineThroughputSuite.Build(mix, chain), EngineThroughputSuite.Build(mix, chain)];
        try
        {
            test(appliances, [first, second]);
        }
        finally
        {
            foreach (var appliance in appliances)
            {
                appliance.Dispose();
            }
        }
    }
}
